#!/usr/bin/python3
"""PyTorch reference of SONAR / SONAR-LLM inference, for benchmarking the Java SDK on the same weights.

A benchmark tool only: nothing in the SDK runs it. An independent implementation written from the
semantics of Hugging Face's M2M100 encoder/decoder, SONAR's mean pooling, fairseq2 0.4's beam search as
SONAR runs it, and SONAR-LLM's generate.py; it reads the Hugging Face checkpoints a bundle was converted
from (config.json + model.safetensors or its shards per side, the concept LM in SONAR-LLM key names).

Tasks (each prints one JSON line per measurement; ids are hashed so that equality with Java is checked):
  encode    token ids -> embeddings, at --batch sizes (sentences sorted by length, right-padded)
  decode    embeddings -> ids, greedy or beam N, at --batch sizes, KV cache preallocated and written in place
  generate  prompt sentences -> the SONAR-LLM loop (encode, concept LM, decode beam/greedy, re-encode), with the
            concept LM's KV cache (--lm-cache) or re-running the whole prefix every sentence as generate.py does

Inputs come from `./sonarllm bench --dump DIR` (DIR/inputs.json: ids, embeddings, prompts, options; and
DIR/java.json: the Java outputs, compared here when present), or from tiny-a's expected.json (--check-tiny-a).

Speed: torch.inference_mode, --threads intra-op threads, linear layers through --linear (blas: F.linear on
the [out, in] weight; blas-t: addmm on a pre-transposed [in, out] copy; mkldnn: oneDNN with the weight
reordered once), the cross-attention over SONAR's single memory vector folded into one vector per layer and
sentence (exact: its softmax is 1), the KV cache preallocated per batch and written at the step's position
(reordered with index_select only when rows or beams change).

Debian: apt-get install python3-torch python3-numpy libopenblas0-openmp python3-sentencepiece
(sentencepiece only for generate). Run with /usr/bin/python3.
"""
import argparse
import hashlib
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_train_step import read_checkpoint, read_safetensors, rope_inv_freq, rotate_half  # noqa: E402

EOS, UNK, PAD = 2, 3, 1
LINEAR = "blas"


class Lin:
    """y = x W^T + b in the chosen backend."""

    def __init__(self, w, b):
        self.out = w.shape[0]
        if LINEAR == "mkldnn":
            self.w, self.b = w.contiguous().to_mkldnn(), (b if b is not None else torch.zeros(w.shape[0]))
        elif LINEAR == "blas-t":
            self.w, self.b = w.t().contiguous(), b
        else:
            self.w, self.b = w.contiguous(), b

    def __call__(self, x):
        shape = x.shape
        x2 = x.reshape(-1, shape[-1])
        if LINEAR == "mkldnn":
            y = torch._C._nn.mkldnn_linear(x2.to_mkldnn(), self.w, self.b).to_dense()
        elif LINEAR == "blas-t":
            y = torch.addmm(self.b, x2, self.w) if self.b is not None else x2 @ self.w
        else:
            y = F.linear(x2, self.w, self.b)
        return y.reshape(*shape[:-1], self.out)


def config(directory):
    return json.load(open(os.path.join(directory, "config.json")))


def sinusoid(pos, d):
    """M2M100's sinusoidal embeddings (float32, sin half then cos half) of integer positions."""
    half = d // 2
    freq = torch.exp(torch.arange(half, dtype=torch.float32) * -(math.log(10000.0) / (half - 1)))
    ang = pos.float()[..., None] * freq
    return torch.cat([ang.sin(), ang.cos()], dim=-1)


def strip(w, prefixes):
    out = {}
    for k, v in w.items():
        for p in prefixes:
            if k.startswith(p):
                k = k[len(p):]
                break
        out[k] = v
    return out


def layer(w, p, hd, **extra):
    """One M2M100 layer's self-attention (q pre-scaled by hd^-0.5, q/k/v fused), norms and FFN, plus `extra`."""
    q = w[p + "self_attn.q_proj.weight"] * hd ** -0.5
    qb = w[p + "self_attn.q_proj.bias"] * hd ** -0.5
    qkv = torch.cat([q, w[p + "self_attn.k_proj.weight"], w[p + "self_attn.v_proj.weight"]])
    qkvb = torch.cat([qb, w[p + "self_attn.k_proj.bias"], w[p + "self_attn.v_proj.bias"]])
    return dict(ln1=(w[p + "self_attn_layer_norm.weight"], w[p + "self_attn_layer_norm.bias"]),
                qkv=Lin(qkv, qkvb), out=Lin(w[p + "self_attn.out_proj.weight"], w[p + "self_attn.out_proj.bias"]),
                ln2=(w[p + "final_layer_norm.weight"], w[p + "final_layer_norm.bias"]),
                fc1=Lin(w[p + "fc1.weight"], w[p + "fc1.bias"]), fc2=Lin(w[p + "fc2.weight"], w[p + "fc2.bias"]),
                **extra)


class Encoder:
    """M2M100 encoder + SONAR mean pooling."""

    def __init__(self, directory):
        c = config(directory)
        self.d, self.layers, self.heads = c["d_model"], c["encoder_layers"], c["encoder_attention_heads"]
        self.pad = c.get("pad_token_id", PAD)
        self.scale = math.sqrt(self.d) if c.get("scale_embedding", True) else 1.0
        w = strip(read_checkpoint(directory), ["model.encoder.", "encoder."])
        self.table = w["embed_tokens.weight"]
        hd = self.d // self.heads
        self.L = []
        for l in range(self.layers):
            self.L.append(layer(w, f"layers.{l}.", hd))
        self.norm = (w["layer_norm.weight"], w["layer_norm.bias"])

    def __call__(self, ids, mask):
        n, t = ids.shape
        d, h = self.d, self.heads
        hd = d // h
        pos = torch.cumsum(mask, 1) * mask + self.pad
        x = F.embedding(ids, self.table) * self.scale + sinusoid(pos, d) * mask[..., None]
        key_mask = ((1.0 - mask.float()) * -1e9)[:, None, None, :]
        for L in self.L:
            a = F.layer_norm(x, (d,), *L["ln1"], 1e-5)
            q, k, v = L["qkv"](a).view(n, t, 3, h, hd).permute(2, 0, 3, 1, 4)
            o = ((q @ k.transpose(-1, -2) + key_mask).softmax(-1) @ v).transpose(1, 2).reshape(n, t, d)
            x = x + L["out"](o)
            f = F.layer_norm(x, (d,), *L["ln2"], 1e-5)
            x = x + L["fc2"](F.relu(L["fc1"](f)))
        x = F.layer_norm(x, (d,), *self.norm, 1e-5)
        m = mask.float()[..., None]
        return (x * m).sum(1) / (m.sum(1) + 1e-7)


class Decoder:
    """M2M100 decoder conditioned on one SONAR vector, one step at a time with a preallocated KV cache."""

    def __init__(self, directory):
        c = config(directory)
        self.d, self.layers, self.heads = c["d_model"], c["decoder_layers"], c["decoder_attention_heads"]
        self.pad = c.get("pad_token_id", PAD)
        self.scale = math.sqrt(self.d) if c.get("scale_embedding", True) else 1.0
        w = strip(read_checkpoint(directory, lambda k: "encoder_attn.q_proj" not in k and "encoder_attn.k_proj" not in k
                                  and k != "model.shared.weight"), ["model.decoder."])
        self.table = w["embed_tokens.weight"]
        self.vocab = self.table.shape[0]
        self.head = Lin(w.get("lm_head.weight", self.table), None)
        hd = self.d // self.heads
        self.L = []
        for l in range(self.layers):
            p = f"layers.{l}."
            self.L.append(layer(w, p, hd, cv=Lin(w[p + "encoder_attn.v_proj.weight"], w[p + "encoder_attn.v_proj.bias"]),
                                co=Lin(w[p + "encoder_attn.out_proj.weight"], w[p + "encoder_attn.out_proj.bias"])))
        self.norm = (w["layer_norm.weight"], w["layer_norm.bias"])

    def cross(self, e):
        """Per layer, the cross-attention sub-layer's output over one memory vector: out_proj(v_proj(e))."""
        return torch.stack([L["co"](L["cv"](e)) for L in self.L], 1)  # [n, layers, d]

    def new_cache(self, rows, length):
        hd = self.d // self.heads
        return [(torch.empty(rows, self.heads, length, hd), torch.empty(rows, self.heads, length, hd))
                for _ in self.L]

    def step(self, ids, cross, cache, past):
        """ids [n, new]; cache rows aligned with ids; writes positions past..past+new; returns log-probs [n, new, V]."""
        n, t = ids.shape
        d, h = self.d, self.heads
        hd = d // h
        pos = torch.arange(past, past + t) + self.pad + 1
        x = F.embedding(ids, self.table) * self.scale + sinusoid(pos, d)
        total = past + t
        mask = None
        if t > 1:
            mask = torch.full((t, total), float("-inf")).triu(past + 1)
        for l, L in enumerate(self.L):
            a = F.layer_norm(x, (d,), *L["ln1"], 1e-5)
            q, k, v = L["qkv"](a).view(n, t, 3, h, hd).permute(2, 0, 3, 1, 4)
            ck, cv = cache[l]
            ck[:n, :, past:total] = k
            cv[:n, :, past:total] = v
            s = q @ ck[:n, :, :total].transpose(-1, -2)
            if mask is not None:
                s = s + mask
            o = (s.softmax(-1) @ cv[:n, :, :total]).transpose(1, 2).reshape(n, t, d)
            x = x + L["out"](o) + cross[:, l, None, :]
            f = F.layer_norm(x, (d,), *L["ln2"], 1e-5)
            x = x + L["fc2"](F.relu(L["fc1"](f)))
        x = F.layer_norm(x, (d,), *self.norm, 1e-5)
        return torch.log_softmax(self.head(x), -1)


def reorder(cache, index, rows, length):
    """Cache rows become cache[index] (only called when rows or beams change)."""
    for ck, cv in cache:
        ck[:rows, :, :length] = ck[:, :, :length].index_select(0, index)
        cv[:rows, :, :length] = cv[:, :, :length].index_select(0, index)


def greedy(dec, emb, lang, max_tokens):
    """Per row: generated ids (</s> kept; at most max_tokens, no forced </s>) and (log p(lang) + sum) / (n + 1)."""
    n = emb.shape[0]
    cross = dec.cross(emb)
    cache = dec.new_cache(n, max_tokens + 2)
    lp = dec.step(torch.tensor([[EOS, lang]] * n), cross, cache, 0)
    score = lp[:, 0, lang].double()
    last = lp[:, 1]
    gen = [[] for _ in range(n)]
    live = list(range(n))
    past = 2
    while True:
        tok = last.argmax(-1)
        val = last.gather(1, tok[:, None])[:, 0].double()
        keep = []
        for r, s in enumerate(live):
            gen[s].append(int(tok[r]))
            score[s] += val[r]
            if tok[r] != EOS and len(gen[s]) < max_tokens:
                keep.append(r)
        if not keep:
            break
        if len(keep) != len(live):
            idx = torch.tensor(keep)
            reorder(cache, idx, len(keep), past)
            cross, tok = cross[idx], tok[idx]
            live = [live[r] for r in keep]
        last = dec.step(tok[:, None], cross, cache, past)[:, 0]
        past += 1
    return [(g, float(score[s]) / (len(g) + 1)) for s, g in enumerate(gen)]


def beam_search(dec, emb, lang, max_tokens, beam, length_penalty=1.0):
    """fairseq2 0.4 BeamSearchSeq2SeqGenerator as SONAR runs it; per sentence, finished hypotheses best first."""
    n = emb.shape[0]
    cross_all = dec.cross(emb)
    cache = dec.new_cache(n * beam, max_tokens + 2)
    lp = dec.step(torch.tensor([[EOS, lang]] * n), cross_all, cache, 0)
    rows = [(s, [], float(lp[s, 0, lang])) for s in range(n)]  # (sentence, tokens, cumulative score)
    last = lp[:, 1]
    finished = [[] for _ in range(n)]
    done = [False] * n
    past, k = 2, 2 * beam
    for t in range(1, max_tokens + 1):
        last_step = t >= max_tokens
        if last_step:
            masked = torch.full_like(last, float("-inf"))
            masked[:, EOS] = last[:, EOS]
            last = masked
        else:
            last[:, UNK] = float("-inf")
        # a sentence's top 2*beam candidates lie within the union of its rows' top 2*beam
        vals, toks = last.topk(min(k, last.shape[1]), dim=-1)
        vals, toks = vals.double().tolist(), toks.tolist()
        by_sentence = {}
        for r, (s, _, _) in enumerate(rows):
            by_sentence.setdefault(s, []).append(r)
        parents, nxt = [], []
        for s in range(n):
            if done[s] or s not in by_sentence:
                continue
            cands = []
            for r in by_sentence[s]:
                cum = rows[r][2]
                for j in range(len(vals[r])):
                    cands.append((cum + vals[r][j], r, toks[r][j]))
            # best first; on equal scores the earlier row, then the lower token id (as Java's scan)
            cands.sort(key=lambda c: (-c[0], c[1], c[2]))
            cont = []
            for rank, (sc, r, tok) in enumerate(cands[:k]):
                if sc == float("-inf"):
                    break
                if tok == EOS:
                    if rank < beam:
                        ids = rows[r][1] + [EOS]
                        finished[s].append((ids, sc / (len(ids) + 1) ** length_penalty, sc))
                        if len(finished[s]) >= beam:
                            done[s] = True
                            break
                elif len(cont) < beam:
                    cont.append((r, (s, rows[r][1] + [tok], sc)))
            if done[s] or not cont:
                done[s] = True
            else:
                parents += [r for r, _ in cont]
                nxt += [c for _, c in cont]
        if not nxt or last_step:
            break
        idx = torch.tensor(parents)
        reorder(cache, idx, len(parents), past)
        rows = nxt
        cross = cross_all[torch.tensor([s for s, _, _ in rows])]
        last = dec.step(torch.tensor([[toks_[-1]] for _, toks_, _ in rows]), cross, cache, past)[:, 0]
        past += 1
    for f in finished:
        f.sort(key=lambda h: -h[1])
    return finished


class ConceptLM:
    """SONAR-LLM: forward_proj -> Llama (RMSNorm, RoPE, GQA, SwiGLU) -> norm -> reverse_proj, with a KV cache."""

    def __init__(self, directory, max_len):
        cfg = config(directory)
        c = cfg.get("llama_config", cfg)
        self.hidden, self.heads = c["hidden_size"], c["num_attention_heads"]
        self.kv = c.get("num_key_value_heads", self.heads)
        self.hd = c.get("head_dim", self.hidden // self.heads)
        self.eps = c.get("rms_norm_eps", 1e-6)
        w = {}
        for f in sorted(os.listdir(directory)):
            if f.endswith(".safetensors"):
                w.update(read_safetensors(os.path.join(directory, f),
                                          lambda k: not (k.endswith("embed_tokens.weight") or k.endswith("lm_head.weight")
                                                         or k.startswith("sonar_decoder"))))
        self.fwd = Lin(w["forward_proj.linear.weight"], w["forward_proj.linear.bias"])
        self.rev = Lin(w["reverse_proj.linear.weight"], w["reverse_proj.linear.bias"])
        self.norm = w["llama_model.model.norm.weight"]
        self.L = []
        for l in range(c["num_hidden_layers"]):
            p = f"llama_model.model.layers.{l}.self_attn."
            m = f"llama_model.model.layers.{l}.mlp."
            self.L.append(dict(
                ln1=w[f"llama_model.model.layers.{l}.input_layernorm.weight"],
                qkv=Lin(torch.cat([w[p + "q_proj.weight"], w[p + "k_proj.weight"], w[p + "v_proj.weight"]]), None),
                o=Lin(w[p + "o_proj.weight"], None),
                ln2=w[f"llama_model.model.layers.{l}.post_attention_layernorm.weight"],
                gu=Lin(torch.cat([w[m + "gate_proj.weight"], w[m + "up_proj.weight"]]), None),
                down=Lin(w[m + "down_proj.weight"], None)))
        ang = torch.outer(torch.arange(max_len, dtype=torch.float64), rope_inv_freq(c, self.hd))
        emb = torch.cat([ang, ang], -1)
        self.cos, self.sin = emb.cos().float(), emb.sin().float()
        self.max_len = max_len
        self.inter = w["llama_model.model.layers.0.mlp.up_proj.weight"].shape[0]

    def rms(self, x, g):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * g

    def new_cache(self):
        return [(torch.empty(1, self.kv, self.max_len, self.hd), torch.empty(1, self.kv, self.max_len, self.hd))
                for _ in self.L]

    def forward(self, x, cache=None, past=0):
        """x [1, t, sonar_dim] -> predictions [1, t, sonar_dim]; with a cache, positions past..past+t."""
        b, t, _ = x.shape
        h = self.fwd(x)
        total = past + t
        cos, sin = self.cos[past:total], self.sin[past:total]
        mask = torch.full((t, total), float("-inf")).triu(past + 1) if t > 1 else None
        g = self.heads // self.kv
        nq, nk = self.heads * self.hd, self.kv * self.hd
        for l, L in enumerate(self.L):
            a = self.rms(h, L["ln1"])
            qkv = L["qkv"](a)
            q = qkv[..., :nq].view(b, t, self.heads, self.hd).transpose(1, 2)
            k = qkv[..., nq:nq + nk].view(b, t, self.kv, self.hd).transpose(1, 2)
            v = qkv[..., nq + nk:].view(b, t, self.kv, self.hd).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            if cache is not None:
                ck, cv = cache[l]
                ck[:, :, past:total] = k
                cv[:, :, past:total] = v
                k, v = ck[:, :, :total], cv[:, :, :total]
            if g > 1:
                k = k.repeat_interleave(g, dim=1)
                v = v.repeat_interleave(g, dim=1)
            s = q @ k.transpose(-1, -2) / math.sqrt(self.hd)
            if mask is not None:
                s = s + mask
            o = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, nq)
            h = h + L["o"](o)
            m = self.rms(h, L["ln2"])
            gu = L["gu"](m)
            h = h + L["down"](F.silu(gu[..., :self.inter]) * gu[..., self.inter:])
        return self.rev(self.rms(h, self.norm))


def ids_sha(rows):
    """sha256 of the id rows, one line per row of space-separated decimal ids (what the Java bench hashes)."""
    return hashlib.sha256("".join(" ".join(map(str, r)) + "\n" for r in rows).encode()).hexdigest()


def encode_batches(enc, ids, batch):
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = [None] * len(ids)
    for s in range(0, len(order), batch):
        chunk = order[s:s + batch]
        width = len(ids[chunk[-1]])
        t = torch.full((len(chunk), width), PAD, dtype=torch.long)
        m = torch.zeros((len(chunk), width), dtype=torch.long)
        for r, i in enumerate(chunk):
            t[r, :len(ids[i])] = torch.tensor(ids[i])
            m[r, :len(ids[i])] = 1
        e = enc(t, m)
        for r, i in enumerate(chunk):
            out[i] = e[r]
    return torch.stack(out)


def decode_batches(dec, emb, lang, max_tokens, search, batch):
    rows = []
    for s in range(0, emb.shape[0], batch):
        e = emb[s:s + batch]
        if search == "greedy":
            rows += [g for g, _ in greedy(dec, e, lang, max_tokens)]
        else:
            rows += [f[0][0] for f in beam_search(dec, e, lang, max_tokens, int(search[4:]))]
    return rows


class Tokenizer:
    """The NLLB SentencePiece tokenizer: fairseq ids (spm id + 1, specials 0-3), languages after the pieces."""

    def __init__(self, directory):
        import sentencepiece
        self.sp = sentencepiece.SentencePieceProcessor(model_file=os.path.join(directory, "sentencepiece.bpe.model"))
        self.langs = [l.strip() for l in open(os.path.join(directory, "languages.txt")) if l.strip()]
        self.size = self.sp.get_piece_size()

    def lang_id(self, code):
        return self.size + 1 + self.langs.index(code)

    def encode(self, text, lang):
        return [self.lang_id(lang)] + [i + 1 if i > 2 else UNK for i in self.sp.encode(text)] + [EOS]

    def decode(self, ids):
        return self.sp.decode([i - 1 for i in ids if 3 < i <= self.size])


def generate(enc, dec, lm, tok, prompt, lang, sentences, search, max_tokens, lm_cache):
    """The SONAR-LLM loop: stops after `sentences` generated sentences or a blank one; returns their ids."""
    lid = tok.lang_id(lang)
    vecs = [encode_batches(enc, [tok.encode(s, lang) for s in prompt], 32)]
    cache = lm.new_cache() if lm_cache else None
    pred = lm.forward(vecs[0][None], cache, 0)[0, -1]
    past = len(prompt)
    out = []
    for _ in range(sentences):
        ids = decode_batches(dec, pred[None], lid, max_tokens, search, 1)[0]
        text = tok.decode(ids)
        if not text.strip():
            break
        out.append(ids)
        v = encode_batches(enc, [tok.encode(text, lang)], 1)
        vecs.append(v)
        if lm_cache:
            pred = lm.forward(v[None], cache, past)[0, -1]
            past += 1
        else:
            pred = lm.forward(torch.cat(vecs)[None])[0, -1]
    return out


def timed(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    global LINEAR
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("task", choices=["encode", "decode", "generate", "tiny-a"])
    ap.add_argument("--inputs", help="inputs.json written by ./sonarllm bench --dump DIR (java.json beside it is compared)")
    ap.add_argument("--encoder"), ap.add_argument("--decoder"), ap.add_argument("--concept-lm"), ap.add_argument("--tokenizer")
    ap.add_argument("--batch", default="1", help="comma-separated batch sizes (encode, decode)")
    ap.add_argument("--search", default="greedy", help="comma-separated: greedy, beam5, ...")
    ap.add_argument("--lm-cache", default="true", help="comma-separated true/false (generate)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--linear", choices=["blas", "blas-t", "mkldnn"], default=LINEAR)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--expected", help="tiny-a expected.json (task tiny-a)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    LINEAR = a.linear
    torch.set_grad_enabled(False)
    with torch.inference_mode():
        if a.task == "tiny-a":
            return check_tiny_a(a)
        inp = json.load(open(a.inputs))
        java_path = os.path.join(os.path.dirname(a.inputs), "java.json")
        java = json.load(open(java_path)) if os.path.exists(java_path) else {}
        base = {"implementation": "pytorch " + torch.__version__, "threads": a.threads, "linear": LINEAR}
        if a.task == "encode":
            enc = Encoder(a.encoder)
            ids = inp["encode"]["ids"]
            for b in map(int, a.batch.split(",")):
                sec, e = timed(lambda: encode_batches(enc, ids, b), a.warmup, a.repeats)
                row = dict(base, task="encode", batch=b, sentences=len(ids), sentences_per_s=round(len(ids) / sec, 1),
                           tokens_per_s=round(sum(map(len, ids)) / sec, 1))
                if "encode" in java:
                    row["max_abs_diff_vs_java"] = float((e - torch.tensor(java["encode"]["embeddings"])).abs().max())
                row["peak_rss_mb"] = round(peak_rss_mb(), 1)
                print(json.dumps(row), flush=True)
        elif a.task == "decode":
            dec = Decoder(a.decoder)
            d = inp["decode"]
            emb = torch.tensor(d["embeddings"])
            for search in a.search.split(","):
                for b in map(int, a.batch.split(",")):
                    n = emb.shape[0]
                    sec, rows = timed(lambda: decode_batches(dec, emb, d["lang_id"], d["max_tokens"], search, b),
                                      a.warmup, a.repeats)
                    tokens = sum(map(len, rows))
                    row = dict(base, task="decode", search=search, batch=b, sentences=n, tokens=tokens,
                               tokens_per_s=round(tokens / sec, 1), ids_sha256=ids_sha(rows))
                    key = f"{search}/{b}"
                    if key in java.get("decode", {}):
                        row["ids_equal_java"] = row["ids_sha256"] == java["decode"][key]
                    row["peak_rss_mb"] = round(peak_rss_mb(), 1)
                    print(json.dumps(row), flush=True)
        else:
            g = inp["generate"]
            enc, dec, tok = Encoder(a.encoder), Decoder(a.decoder), Tokenizer(a.tokenizer)
            lm = ConceptLM(a.concept_lm, len(g["prompt"]) + g["sentences"] + 1)
            for cache in [c == "true" for c in a.lm_cache.split(",")]:
                for search in a.search.split(","):
                    sec, rows = timed(lambda: generate(enc, dec, lm, tok, g["prompt"], g["lang"], g["sentences"], search,
                                                       g["max_tokens"], cache), a.warmup, a.repeats)
                    row = dict(base, task="generate", search=search, lm_cache=cache, sentences=len(rows),
                               seconds=round(sec, 3), sentences_per_s=round(len(rows) / sec, 2), ids_sha256=ids_sha(rows))
                    key = f"{search}/{'cache' if cache else 'no-cache'}"
                    if key in java.get("generate", {}):
                        row["ids_equal_java"] = row["ids_sha256"] == java["generate"][key]
                    row["peak_rss_mb"] = round(peak_rss_mb(), 1)
                    print(json.dumps(row), flush=True)


def check_tiny_a(a):
    """Reproduces tiny-a's expected encoder embeddings (b), greedy ids (d), beam results (e), generation (g)."""
    x = json.load(open(a.expected))
    root = os.path.dirname(a.expected)
    enc, dec = Encoder(os.path.join(root, "encoder")), Decoder(os.path.join(root, "decoder"))
    ok = True

    def report(name, good, detail):
        nonlocal ok
        ok &= good
        print(f"{name}: {detail} {'ok' if good else 'MISMATCH'}")

    b = x["b_encoder"]
    ids = [[i for i, m in zip(r, mr) if m] for r, mr in zip(b["input_ids"], b["attention_mask"])]
    e = encode_batches(enc, ids, 32)
    e1 = encode_batches(enc, ids, 1)
    diff = max(float((e - torch.tensor(b["embeddings"])).abs().max()), float((e1 - torch.tensor(b["embeddings"])).abs().max()))
    report("b encoder embeddings (batch 32 and 1)", diff <= x["tolerances"]["embeddings_abs"], f"max abs diff {diff:.2e}")
    d = x["d_greedy"]
    emb = torch.tensor([c["embedding"] for c in d["cases"]])
    lang = d["cases"][0]["prefix_ids"][1]
    for bs in (1, 4):
        got = []
        for s in range(0, len(emb), bs):
            got += [g for g, _ in greedy(dec, emb[s:s + bs], lang, d["max_new_tokens"])]
        want = [c["generated_ids"] for c in d["cases"]]
        report(f"d greedy ids (batch {bs})", got == want, ids_sha(got)[:16])
    eb = x["e_beam"]
    emb = torch.tensor([c["embedding"] for c in eb["cases"]])
    for bs in (1, 2):
        res = []
        for s in range(0, len(emb), bs):
            res += beam_search(dec, emb[s:s + bs], lang, eb["max_gen_len"], eb["beam_size"])
        for c, f in zip(eb["cases"], res):
            hyp_ok = len(f) == len(c["hypotheses"]) and all(
                h[0] == w["ids"] and abs(h[1] - w["score"]) <= x["tolerances"]["beam_score_abs"]
                for h, w in zip(f, c["hypotheses"]))
            report(f"e beam case {c['source_sentence']} (batch {bs}): best ids, score, all hypotheses",
                   f[0][0] == c["best_ids"] and abs(f[0][1] - c["best_score"]) <= x["tolerances"]["beam_score_abs"]
                   and hyp_ok, f"score {f[0][1]:.6f}")
    g = x["g_generation"]
    if a.tokenizer or os.path.isdir(os.path.join(root, "tokenizer")):
        tok = Tokenizer(a.tokenizer or os.path.join(root, "tokenizer"))
        lm = ConceptLM(os.path.join(root, "sonar_llm"), len(g["prompt"]) + g["max_generated_sentences"] + 1)
        for cache in (True, False):
            rows = generate(enc, dec, lm, tok, g["prompt"], "eng_Latn", g["max_generated_sentences"], "greedy",
                            g["max_new_tokens"], cache)
            want = [s["generated_ids"] for s in g["steps"]]
            report(f"g generation ids, greedy ({'with' if cache else 'without'} concept-LM cache)", rows == want,
                   ids_sha(rows)[:16])
    print("tiny-a reference check:", "ok" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
