#!/usr/bin/python3
"""The Python half of scripts/realscale/make-checkpoint.sh: the files of a real-scale SONAR-LLM release
that need PyTorch or protobuf bytes, with random weights. A test-data tool only (nothing in the SDK runs
Python); run it with Debian's PyTorch (apt-get install -y python3-torch python3-numpy):

    /usr/bin/python3 scripts/realscale/make-checkpoint.py OUT [--with-frozen-decoder] [--with-optimizer]

Writes
  OUT/tokenizer/   a Hugging Face NLLB tokenizer folder as transformers >= 4.34 saves it, without
                   languages.txt: sentencepiece.bpe.model with 256000 pieces (tiny-a's 1000 pieces plus
                   255000 synthetic ones appended to the ModelProto: repeated fields may be appended), and
                   tokenizer_config.json / special_tokens_map.json with the real ids (languages 256001 ..
                   256202, <mask> 256203)
  OUT/sonar_llm/   the SONAR-LLM authors' release of the 600M model: SonarLLM_600M.json (the authors'
                   file, committed under sonarllm-core test resources) and checkpoint.pt in
                   train_sonarllm_fast.py save_full_checkpoint's form: model_state_dict with
                   llama_model.model.* (the Llama 3.2 token embedding [128256, 1280] included, tied to
                   llama_model.lm_head.weight), forward_proj.linear.*, reverse_proj.linear.*;
                   optimizer_state_dict, scheduler_state_dict, epoch, step_in_epoch, global_step and the
                   Python, numpy and torch RNG states. --with-frozen-decoder adds the frozen SONAR decoder
                   (sonar_decoder.model.decoder.*, 4.5 GB more, as the real file holds it);
                   --with-optimizer adds AdamW moments for every trainable tensor (2 x 1.8 GB).
The encoder and decoder (safetensors) come from the Java RandomSonarCheckpoint; see the .sh script.
"""
import argparse
import collections
import json
import os
import random
import struct
import sys

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HF_TINY_A = os.path.join(ROOT, "sonarllm-core/src/test/resources/org/sonarllm/tokenize/hf-tiny-a")
CONFIG_600M = os.path.join(ROOT, "sonarllm-core/src/test/resources/sonar-llm-paper-configs/SonarLLM_600M.json")
PIECES = 256000
SONAR_DIM = 1024
LLAMA_VOCAB = 128256


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def piece_entry(text, score):
    """ModelProto field 1 (pieces): SentencePiece {1: piece, 2: score; type defaults to NORMAL}."""
    p = text.encode("utf-8")
    body = b"\x0a" + varint(len(p)) + p + b"\x15" + struct.pack("<f", score)
    return b"\x0a" + varint(len(body)) + body


def tokenizer(out):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(HF_TINY_A, "sentencepiece.bpe.model"), "rb") as f:
        model = f.read()
    base = 1000  # tiny-a's sp_model_size
    extra = bytearray()
    for i in range(PIECES - base):
        extra += piece_entry("\u2581\ue000" + np.base_repr(i, 36).lower(), -1000.0 - i * 1e-3)  # private-use: no clash
    with open(os.path.join(out, "sentencepiece.bpe.model"), "wb") as f:
        f.write(model + bytes(extra))
    with open(os.path.join(HF_TINY_A, "tokenizer_config.json")) as f:
        cfg = json.load(f)
    shift = PIECES - base
    decoder = collections.OrderedDict()
    for k, v in cfg["added_tokens_decoder"].items():
        i = int(k)
        decoder[str(i + shift if i > 3 else i)] = v
    cfg["added_tokens_decoder"] = collections.OrderedDict(sorted(decoder.items(), key=lambda kv: kv[0]))
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    with open(os.path.join(HF_TINY_A, "special_tokens_map.json")) as f:
        special = f.read()
    with open(os.path.join(out, "special_tokens_map.json"), "w") as f:
        f.write(special)


def concept_lm(out, frozen_decoder, optimizer):
    os.makedirs(out, exist_ok=True)
    with open(CONFIG_600M) as f:
        config = json.load(f)
    with open(os.path.join(out, "SonarLLM_600M.json"), "w") as f:
        json.dump(config, f, indent=4)
    c = config["llama_config"]
    h, layers, heads, hd, ffn = (c["hidden_size"], c["num_hidden_layers"], c["num_attention_heads"], c["head_dim"],
                                 c["intermediate_size"])
    g = torch.Generator().manual_seed(600)

    def lin(o, i):
        return torch.randn(o, i, generator=g) / i ** 0.5

    sd = collections.OrderedDict()
    emb = torch.randn(LLAMA_VOCAB, h, generator=g) * 0.02
    sd["llama_model.model.embed_tokens.weight"] = emb
    for l in range(layers):
        p = "llama_model.model.layers.%d." % l
        sd[p + "self_attn.q_proj.weight"] = lin(heads * hd, h)
        sd[p + "self_attn.k_proj.weight"] = lin(heads * hd, h)
        sd[p + "self_attn.v_proj.weight"] = lin(heads * hd, h)
        sd[p + "self_attn.o_proj.weight"] = lin(h, heads * hd)
        sd[p + "mlp.gate_proj.weight"] = lin(ffn, h)
        sd[p + "mlp.up_proj.weight"] = lin(ffn, h)
        sd[p + "mlp.down_proj.weight"] = lin(h, ffn)
        sd[p + "input_layernorm.weight"] = 1 + 0.1 * torch.randn(h, generator=g)
        sd[p + "post_attention_layernorm.weight"] = 1 + 0.1 * torch.randn(h, generator=g)
    sd["llama_model.model.norm.weight"] = 1 + 0.1 * torch.randn(h, generator=g)
    sd["llama_model.lm_head.weight"] = emb  # tied: one storage
    sd["forward_proj.linear.weight"] = lin(h, SONAR_DIM)
    sd["forward_proj.linear.bias"] = 0.02 * torch.randn(h, generator=g)
    sd["reverse_proj.linear.weight"] = lin(SONAR_DIM, h)
    sd["reverse_proj.linear.bias"] = 0.02 * torch.randn(SONAR_DIM, generator=g)
    if frozen_decoder:
        d, dl, dffn, vocab = 1024, 24, 8192, 256206
        dec_emb = torch.randn(vocab, d, generator=g) * 0.1
        sd["sonar_decoder.model.decoder.decoder_frontend.embed.weight"] = dec_emb
        for l in range(dl):
            p = "sonar_decoder.model.decoder.decoder.layers.%d." % l
            for att in ("self_attn", "encoder_decoder_attn"):
                for proj in ("q_proj", "k_proj", "v_proj", "output_proj"):
                    sd[p + att + "." + proj + ".weight"] = lin(d, d)
                    sd[p + att + "." + proj + ".bias"] = torch.zeros(d)
                for n in ("weight", "bias"):
                    sd[p + att + "_layer_norm." + n] = torch.ones(d) if n == "weight" else torch.zeros(d)
            sd[p + "ffn.inner_proj.weight"] = lin(dffn, d)
            sd[p + "ffn.inner_proj.bias"] = torch.zeros(dffn)
            sd[p + "ffn.output_proj.weight"] = lin(d, dffn)
            sd[p + "ffn.output_proj.bias"] = torch.zeros(d)
            sd[p + "ffn_layer_norm.weight"] = torch.ones(d)
            sd[p + "ffn_layer_norm.bias"] = torch.zeros(d)
        sd["sonar_decoder.model.decoder.decoder.layer_norm.weight"] = torch.ones(d)
        sd["sonar_decoder.model.decoder.decoder.layer_norm.bias"] = torch.zeros(d)
        sd["sonar_decoder.model.decoder.final_proj.weight"] = dec_emb
    trainable = [k for k in sd if not k.startswith("sonar_decoder.")]
    state = {}
    if optimizer:
        for i, k in enumerate(trainable):
            state[i] = {"step": torch.tensor(100.0), "exp_avg": torch.zeros_like(sd[k]),
                        "exp_avg_sq": torch.zeros_like(sd[k])}
    ckpt = {
        "model_state_dict": sd,
        "optimizer_state_dict": {"state": state, "param_groups": [{
            "lr": 3e-4, "betas": (0.9, 0.95), "eps": 1e-8, "weight_decay": 0.1, "amsgrad": False, "foreach": None,
            "maximize": False, "capturable": False, "differentiable": False, "fused": None,
            "initial_lr": 3e-4, "params": list(range(len(trainable)))}]},
        "scheduler_state_dict": {"last_epoch": 100, "_step_count": 101, "base_lrs": [3e-4], "_last_lr": [3e-4]},
        "epoch": 0,
        "step_in_epoch": 100,
        "global_step": 100,
        "python_rng_state": random.getstate(),
        "numpy_rng_state": np.random.get_state(),
        "torch_rng_state": torch.get_rng_state(),
        "cuda_rng_state_all": [],
    }
    path = os.path.join(out, "checkpoint.pt")
    torch.save(ckpt, path)
    print("%s: %d tensors, %d bytes" % (path, len(sd), os.path.getsize(path)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--with-frozen-decoder", action="store_true")
    ap.add_argument("--with-optimizer", action="store_true")
    args = ap.parse_args()
    tokenizer(os.path.join(args.out, "tokenizer"))
    concept_lm(os.path.join(args.out, "sonar_llm"), args.with_frozen_decoder, args.with_optimizer)


if __name__ == "__main__":
    sys.exit(main())
