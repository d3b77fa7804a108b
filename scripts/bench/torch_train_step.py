#!/usr/bin/python3
"""PyTorch reference of one SONAR-LLM concept-LM training step, for benchmarking the Java trainer.

A test and benchmark tool only: nothing in the SDK runs it. It is an independent implementation written
from the semantics of transformers' LlamaModel / M2M100 decoder and SONAR-LLM's train_sonarllm_fast.py
(SonarLossWrapper): the concept LM predicts the next sentence vector, each prediction is decoded by the
frozen SONAR decoder with teacher forcing (decoder input [</s>, lang] + pieces + [</s>], labels
[lang] + pieces + [</s>, </s>], padding ignored) and the loss is the mean token cross-entropy (CE), or
the mean squared error against the next vector (MSE). AdamW (decoupled weight decay on matrices only,
as the Java trainer), linear warmup + cosine schedule, global-norm clipping.

Inputs are what `./sonarllm bench-train ... --dump DIR` writes, so both sides run the same weights on the
same documents:
  DIR/lm/config.json, DIR/lm/model.safetensors   initial concept LM (SONAR-LLM key names)
  DIR/batch.json                                 {"embeddings": [doc][sentence][d], "tokens": [doc][sentence][T],
                                                  "eos_id": 2, "pad_id": 1}
  DIR/run.json                                   {"objective", "steps", "lr", "min_lr", "warmup", "weight_decay",
                                                  "beta1", "beta2", "eps", "clip"}
and the Hugging Face M2M100 decoder the Java bundle was converted from (config.json + model.safetensors, or sharded: model.safetensors.index.json + shards).

Debian: apt-get install python3-torch python3-numpy libopenblas0-openmp   (without the last, torch runs the
reference netlib BLAS). Run with /usr/bin/python3 (Debian's interpreter):
  /usr/bin/python3 scripts/bench/torch_train_step.py --dump DIR --decoder HF_DECODER_DIR --threads 2
Prints one JSON line: step_seconds_median (wall), step_cpu_seconds_median (CPU time of all the process's
threads: comparable on a loaded machine), loss_step0, losses, step_seconds (every step), target_tokens_per_s,
peak_rss_mib, ...
"""
import argparse
import json
import math
import os
import resource
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F16": np.float16}


def read_safetensors(path, wanted=None):
    """Tensors of a safetensors file (F32/F16/BF16), parsed here by hand (no safetensors package in Debian)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, info in header.items():
            if name == "__metadata__" or (wanted is not None and not wanted(name)):
                continue
            start, end = info["data_offsets"]
            f.seek(base + start)
            raw = f.read(end - start)
            if info["dtype"] == "BF16":
                u = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
                arr = u.view(np.float32)
            else:
                arr = np.frombuffer(raw, dtype=DTYPES[info["dtype"]]).astype(np.float32)
            out[name] = torch.from_numpy(arr.copy()).reshape(info["shape"])
        return out


def read_checkpoint(directory, wanted=None):
    """Tensors of a Hugging Face folder: model.safetensors, or model.safetensors.index.json and its shards."""
    index = os.path.join(directory, "model.safetensors.index.json")
    if not os.path.exists(index):
        return read_safetensors(os.path.join(directory, "model.safetensors"), wanted)
    w = {}
    for shard in sorted(set(json.load(open(index))["weight_map"].values())):
        w.update(read_safetensors(os.path.join(directory, shard), wanted))
    return w


def rope_inv_freq(cfg, head_dim):
    theta = cfg.get("rope_theta", 10000.0)
    inv = [theta ** (-(2.0 * i) / head_dim) for i in range(head_dim // 2)]
    rs = cfg.get("rope_scaling") or {}
    kind = rs.get("rope_type", rs.get("type", "default"))
    if kind == "linear":
        inv = [x / rs["factor"] for x in inv]
    elif kind == "llama3":
        old, lo, hi, fac = rs["original_max_position_embeddings"], rs["low_freq_factor"], rs["high_freq_factor"], rs["factor"]
        out = []
        for x in inv:
            wavelen = 2 * math.pi / x
            if wavelen < old / hi:
                out.append(x)
            elif wavelen > old / lo:
                out.append(x / fac)
            else:
                s = (old / wavelen - lo) / (hi - lo)
                out.append((1 - s) * x / fac + s * x)
        inv = out
    return torch.tensor(inv, dtype=torch.float64)


class ConceptLM(torch.nn.Module):
    """forward_proj -> Llama blocks (RMSNorm, RoPE, GQA attention, SwiGLU, no biases) -> norm -> reverse_proj."""

    def __init__(self, cfg, weights):
        super().__init__()
        c = cfg.get("llama_config", cfg)
        self.hidden, self.layers = c["hidden_size"], c["num_hidden_layers"]
        self.heads = c["num_attention_heads"]
        self.kv = c.get("num_key_value_heads", self.heads)
        self.hd = c.get("head_dim", self.hidden // self.heads)
        self.eps = c.get("rms_norm_eps", 1e-6)
        self.inv_freq = rope_inv_freq(c, self.hd)
        self.p = torch.nn.ParameterDict()
        for k, v in weights.items():
            if k.endswith("embed_tokens.weight") or k.endswith("lm_head.weight") or k.startswith("sonar_decoder"):
                continue
            self.p[k.replace(".", "__")] = torch.nn.Parameter(v.clone())

    def w(self, key):
        return self.p[key.replace(".", "__")]

    def rms(self, x, key):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.w(key)

    def forward(self, x):
        b, t, _ = x.shape
        h = F.linear(x, self.w("forward_proj.linear.weight"), self.w("forward_proj.linear.bias"))
        pos = torch.arange(t, dtype=torch.float64)
        ang = torch.outer(pos, self.inv_freq)
        emb = torch.cat([ang, ang], dim=-1)
        cos, sin = emb.cos().float(), emb.sin().float()
        mask = torch.full((t, t), float("-inf")).triu(1)
        g = self.heads // self.kv
        for l in range(self.layers):
            p = f"llama_model.model.layers.{l}."
            a = self.rms(h, p + "input_layernorm.weight")
            q = F.linear(a, self.w(p + "self_attn.q_proj.weight")).view(b, t, self.heads, self.hd).transpose(1, 2)
            k = F.linear(a, self.w(p + "self_attn.k_proj.weight")).view(b, t, self.kv, self.hd).transpose(1, 2)
            v = F.linear(a, self.w(p + "self_attn.v_proj.weight")).view(b, t, self.kv, self.hd).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            if g > 1:
                k = k.repeat_interleave(g, dim=1)
                v = v.repeat_interleave(g, dim=1)
            s = q @ k.transpose(-1, -2) / math.sqrt(self.hd) + mask
            o = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, self.heads * self.hd)
            h = h + F.linear(o, self.w(p + "self_attn.o_proj.weight"))
            m = self.rms(h, p + "post_attention_layernorm.weight")
            up = F.silu(F.linear(m, self.w(p + "mlp.gate_proj.weight"))) * F.linear(m, self.w(p + "mlp.up_proj.weight"))
            h = h + F.linear(up, self.w(p + "mlp.down_proj.weight"))
        h = self.rms(h, "llama_model.model.norm.weight")
        return F.linear(h, self.w("reverse_proj.linear.weight"), self.w("reverse_proj.linear.bias"))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class FrozenDecoder:
    """M2M100 decoder conditioned on one vector per row, teacher forcing; no parameter needs a gradient."""

    def __init__(self, directory):
        cfg = json.load(open(os.path.join(directory, "config.json")))
        self.d, self.layers = cfg["d_model"], cfg["decoder_layers"]
        self.heads = cfg["decoder_attention_heads"]
        self.pad = cfg.get("pad_token_id", 1)
        self.scale = math.sqrt(self.d) if cfg.get("scale_embedding", True) else 1.0
        w = read_checkpoint(directory, lambda k: "encoder_attn.q_proj" not in k and "encoder_attn.k_proj" not in k
                            and k != "model.shared.weight")
        self.w = {k[len("model.decoder."):] if k.startswith("model.decoder.") else k: v for k, v in w.items()}
        self.table = self.w["embed_tokens.weight"]
        self.head = self.w.get("lm_head.weight", self.table)
        half = self.d // 2
        self.freq = torch.exp(torch.arange(half, dtype=torch.float32) * -(math.log(10000.0) / (half - 1)))

    def ln(self, x, key):
        return F.layer_norm(x, (self.d,), self.w[key + ".weight"], self.w[key + ".bias"], 1e-5)

    def lin(self, x, key):
        return F.linear(x, self.w[key + ".weight"], self.w[key + ".bias"])

    def hidden(self, ids, e):
        n, t = ids.shape
        pos = (torch.arange(t) + self.pad + 1).float()[:, None] * self.freq[None, :]
        x = F.embedding(ids, self.table) * self.scale + torch.cat([pos.sin(), pos.cos()], dim=-1)
        mask = torch.full((t, t), float("-inf")).triu(1)
        hd = self.d // self.heads
        for l in range(self.layers):
            p = f"layers.{l}."
            a = self.ln(x, p + "self_attn_layer_norm")
            q = (self.lin(a, p + "self_attn.q_proj") * hd ** -0.5).view(n, t, self.heads, hd).transpose(1, 2)
            k = self.lin(a, p + "self_attn.k_proj").view(n, t, self.heads, hd).transpose(1, 2)
            v = self.lin(a, p + "self_attn.v_proj").view(n, t, self.heads, hd).transpose(1, 2)
            o = ((q @ k.transpose(-1, -2) + mask).softmax(-1) @ v).transpose(1, 2).reshape(n, t, self.d)
            x = x + self.lin(o, p + "self_attn.out_proj")
            # cross-attention over a single key: softmax is 1, the output is out_proj(v_proj(e))
            x = x + self.lin(self.lin(e, p + "encoder_attn.v_proj"), p + "encoder_attn.out_proj")[:, None, :]
            f = self.ln(x, p + "final_layer_norm")
            x = x + self.lin(F.relu(self.lin(f, p + "fc1")), p + "fc2")
        return self.ln(x, "layer_norm")

    def logits(self, ids, e):
        return self.hidden(ids, e) @ self.head.t()


def ce_rows(tokens, eos, pad):
    """Decoder inputs and labels of every predicted sentence (sentence k >= 1 of each document)."""
    inputs, labels = [], []
    for doc in tokens:
        for k in range(1, len(doc)):
            t = list(doc[k])
            inputs.append([eos] + t + [eos])
            labels.append(t + [eos, eos])
    width = max(len(r) for r in inputs)
    ids = torch.full((len(inputs), width), pad, dtype=torch.long)
    lab = torch.full((len(inputs), width), -100, dtype=torch.long)
    for i, (r, l) in enumerate(zip(inputs, labels)):
        ids[i, :len(r)] = torch.tensor(r)
        lab[i, :len(l)] = torch.tensor(l)
    return ids, lab


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dump", required=True, help="directory written by ./sonarllm bench-train --dump")
    ap.add_argument("--decoder", help="HF M2M100 decoder directory (required for ce)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, help="override run.json's step count")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    run = json.load(open(os.path.join(a.dump, "run.json")))
    batch = json.load(open(os.path.join(a.dump, "batch.json")))
    cfg = json.load(open(os.path.join(a.dump, "lm", "config.json")))
    lm = ConceptLM(cfg, read_safetensors(os.path.join(a.dump, "lm", "model.safetensors")))
    docs = batch["embeddings"]
    n, t = len(docs), max(len(d) for d in docs)
    d = len(docs[0][0])
    x = torch.zeros(n, t, d)
    target = torch.zeros(n, t, d)
    sel_b, sel_t = [], []
    for i, doc in enumerate(docs):
        x[i, :len(doc)] = torch.tensor(doc)
        for k in range(1, len(doc)):
            target[i, k - 1] = torch.tensor(doc[k])
            sel_b.append(i)
            sel_t.append(k - 1)
    sel_b, sel_t = torch.tensor(sel_b), torch.tensor(sel_t)
    ce = run["objective"] == "ce"
    if ce:
        if not a.decoder:
            sys.exit("--decoder is required for the ce objective")
        dec = FrozenDecoder(a.decoder)
        ids, labels = ce_rows(batch["tokens"], batch.get("eos_id", 2), batch.get("pad_id", 1))
        target_tokens = int((labels != -100).sum())
    else:
        target_tokens = 0
    decay = [p for k, p in lm.p.items() if p.dim() >= 2]
    plain = [p for k, p in lm.p.items() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": run["weight_decay"]},
                             {"params": plain, "weight_decay": 0.0}],
                            lr=run["lr"], betas=(run["beta1"], run["beta2"]), eps=run["eps"])
    steps = a.steps or run["steps"]
    warm, total, peak, low = run["warmup"], run["steps"], run["lr"], run["min_lr"]
    losses, secs, cpu = [], [], []
    for s in range(steps):
        t0 = time.perf_counter()
        c0 = time.process_time()
        lr = peak * (s + 1) / warm if s < warm else \
            low + (peak - low) * 0.5 * (1 + math.cos(math.pi * min(1.0, (s - warm) / max(1, total - warm))))
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        pred = lm(x)
        if ce:
            p = pred[sel_b, sel_t]
            logits = dec.logits(ids, p)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
        else:
            mask = torch.zeros(n, t)
            mask[sel_b, sel_t] = 1
            loss = (((pred - target) ** 2).sum(-1) * mask).sum() / (mask.sum() * d)
        loss.backward()
        if run["clip"] > 0:
            torch.nn.utils.clip_grad_norm_(lm.parameters(), run["clip"])
        opt.step()
        losses.append(loss.item())
        secs.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    timed = secs[2:] if len(secs) > 2 else secs
    med = statistics.median(timed)
    cpu_med = statistics.median(cpu[2:] if len(cpu) > 2 else cpu)
    print(json.dumps({
        "implementation": "pytorch " + torch.__version__,
        "objective": run["objective"],
        "threads": a.threads,
        "parameters": sum(p.numel() for p in lm.parameters()),
        "steps": steps,
        "step_seconds_median": round(med, 4),
        "step_cpu_seconds_median": round(cpu_med, 4),
        "loss_step0": losses[0],
        "losses": losses,
        "step_seconds": [round(x, 4) for x in secs],
        "target_tokens_per_s": round(target_tokens / med, 1),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }))


if __name__ == "__main__":
    main()
