#!/usr/bin/python3
"""Writes the PyTorch checkpoint fixtures of sonarllm-onnx's TorchCheckpoint tests.

A test-data tool only: nothing in the SDK runs Python. Every tensor comes from the committed tiny-a
safetensors files (parsed here by hand; the safetensors package is not needed). Run from the
repository root with Debian's PyTorch (the pyenv python3 on PATH has no torch):

    apt-get install -y python3-torch python3-numpy
    /usr/bin/python3 scripts/testdata/make-torch-fixtures.py            # the committed fixtures
    /usr/bin/python3 scripts/testdata/make-torch-fixtures.py --large /tmp/large.pt --gib 1.5
                                                                        # measurement file, not committed

Fixtures (under sonarllm-onnx/src/test/resources/torch/):
  authors/checkpoint.pt      FusionBrainLab/SONAR-LLM train_sonarllm_fast.py save_full_checkpoint form
  authors/SonarLLM_tiny.json the authors' config form (pretrained_model_name_or_path + llama_config)
  hf/config.json, hf/pytorch_model.bin   Hugging Face layout, state dict wrapped in model_state_dict
  encoder/config.json, encoder/pytorch_model.bin, decoder/config.json, decoder/pytorch_model.bin
                             HF M2M100 ports
  decoder-sharded/           the decoder as transformers shards it: pytorch_model.bin.index.json and two
                             pytorch_model-0000N-of-00002.bin shards (--sharded writes only this and
                             decoder/config.json)
  special/*.pt, special/half_golden.safetensors   dtypes, views, tied weights, protocols, legacy format
"""
import argparse
import collections
import functools
import json
import math
import os
import random
import struct
import sys
import zipfile

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TINY_A = os.path.join(ROOT, "sonarllm-core/src/test/resources/org/sonarllm/testing/tiny-a")
OUT = os.path.join(ROOT, "sonarllm-onnx/src/test/resources/torch")


def read_safetensors(path):
    """Parses a safetensors file (8-byte little-endian header length, JSON header, raw data)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = collections.OrderedDict()
    for name in sorted(k for k in header if k != "__metadata__"):
        h = header[name]
        assert h["dtype"] == "F32", (path, name, h["dtype"])
        b, e = h["data_offsets"]
        arr = np.frombuffer(data[b:e], dtype="<f4").reshape(h["shape"]).copy()
        out[name] = torch.from_numpy(arr)
    return out


def write_safetensors(path, tensors):
    """Writes float32 tensors as safetensors (sorted names, header padded to 8 bytes)."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        b = tensors[name].contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def module_from_state(named):
    """An nn.Module tree whose parameter names are the given dotted names (same object = tied)."""
    root = torch.nn.Module()
    params = {}
    for name, value in named.items():
        *path, leaf = name.split(".")
        m = root
        for part in path:
            if not hasattr(m, part):
                m.add_module(part, torch.nn.Module())
            m = getattr(m, part)
        key = id(value)
        if key not in params:
            params[key] = torch.nn.Parameter(value.clone())
        m.register_parameter(leaf, params[key])
    return root


def fairseq2_decoder_names(hf):
    """The tiny-a HF M2M100 decoder under the module names of SONAR's fairseq2 decoder as held by
    EmbeddingToTextModelPipeline.model (a SonarEncoderDecoderModel: .decoder is the
    ConditionalTransformerDecoderModel). Rows keep tiny-a's (HF) order; final_proj is tied to the
    embedding as in SONAR's TiedProjection."""
    out = collections.OrderedDict()
    embed = hf["model.decoder.embed_tokens.weight"]
    out["decoder_frontend.embed.weight"] = embed
    layers = sorted({int(k.split(".")[3]) for k in hf if k.startswith("model.decoder.layers.")})
    rename = [("self_attn_layer_norm", "self_attn_layer_norm"), ("self_attn.out_proj", "self_attn.output_proj"),
              ("self_attn.", "self_attn."), ("encoder_attn_layer_norm", "encoder_decoder_attn_layer_norm"),
              ("encoder_attn.out_proj", "encoder_decoder_attn.output_proj"),
              ("encoder_attn.", "encoder_decoder_attn."), ("final_layer_norm", "ffn_layer_norm"),
              ("fc1", "ffn.inner_proj"), ("fc2", "ffn.output_proj")]
    for i in layers:
        prefix = "model.decoder.layers.%d." % i
        for k in sorted(k for k in hf if k.startswith(prefix)):
            rest = k[len(prefix):]
            for a, b in rename:
                if rest.startswith(a):
                    rest = b + rest[len(a):]
                    break
            out["decoder.layers.%d.%s" % (i, rest)] = hf[k]
    out["decoder.layer_norm.weight"] = hf["model.decoder.layer_norm.weight"]
    out["decoder.layer_norm.bias"] = hf["model.decoder.layer_norm.bias"]
    out["final_proj.weight"] = embed
    return out


def llama_order(sonar_llm):
    """SonarLossWrapper's registration order: llama_model (model.embed_tokens, layers, norm; lm_head tied
    to embed_tokens), forward_proj, reverse_proj."""
    keys = list(sonar_llm)
    embed = sonar_llm["llama_model.model.embed_tokens.weight"]
    out = collections.OrderedDict()
    out["llama_model.model.embed_tokens.weight"] = embed
    for k in keys:
        if k.startswith("llama_model.model.layers."):
            out[k] = sonar_llm[k]
    out["llama_model.model.norm.weight"] = sonar_llm["llama_model.model.norm.weight"]
    out["llama_model.lm_head.weight"] = embed
    for k in ("forward_proj.linear.weight", "forward_proj.linear.bias",
              "reverse_proj.linear.weight", "reverse_proj.linear.bias"):
        out[k] = sonar_llm[k]
    assert torch.equal(sonar_llm["llama_model.lm_head.weight"], embed), "tiny-a lm_head is tied"
    return out


def _cosine_lambda(step, *, warmup, total):
    # transformers' get_cosine_schedule_with_warmup lambda (a functools.partial of a module function)
    if step < warmup:
        return step / max(1, warmup)
    progress = (step - warmup) / max(1, total - warmup)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress)))


def authors_checkpoint(sonar_llm, decoder):
    """save_full_checkpoint's dict: model_state_dict of SonarLossWrapper (+ frozen sonar_decoder),
    a real AdamW + LambdaLR state after one dummy step, counters, and the RNG states."""
    named = llama_order(sonar_llm)
    for k, v in fairseq2_decoder_names(decoder).items():
        named["sonar_decoder.model.decoder." + k] = v
    model = module_from_state(named)
    for name, p in model.named_parameters():
        p.requires_grad_(not name.startswith("sonar_decoder."))
    random.seed(42)
    np.random.seed(42)
    torch.manual_seed(42)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, eps=1e-5)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, functools.partial(_cosine_lambda, warmup=820, total=16480))
    # One dummy step on the projections only (keeps the committed optimizer state small); the
    # parameters are put back to the tiny-a values before saving.
    fp, rp = model.forward_proj.linear, model.reverse_proj.linear
    x = torch.randn(3, fp.weight.shape[1])
    loss = ((rp.weight @ (fp.weight @ x.T + fp.bias[:, None]) + rp.bias[:, None]) ** 2).mean()
    loss.backward()
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(named[name])
    state = model.state_dict()
    assert list(state) == list(named), "state_dict order"
    return {
        "model_state_dict": state,
        "optimizer_state_dict": optimizer.state_dict(),
        "scheduler_state_dict": scheduler.state_dict(),
        "epoch": 1,
        "step_in_epoch": 0,
        "global_step": 1,
        "random_rng_state": random.getstate(),
        "numpy_rng_state": np.random.get_state(),
        "torch_rng_state": torch.get_rng_state(),
        "cuda_rng_state_all": torch.cuda.get_rng_state_all(),  # [] without a GPU, as the authors store it
    }


def save_as_if_on_gpu(obj, path, cpu_tensors):
    """torch.save recording location 'cuda:0' for every storage but those of cpu_tensors, as the
    authors' GPU run does (model and optimizer on cuda, RNG state on cpu)."""
    cpu_ptrs = {t.data_ptr() for t in cpu_tensors}
    original = torch.serialization.location_tag
    torch.serialization.location_tag = lambda s: "cpu" if s.data_ptr() in cpu_ptrs else "cuda:0"
    try:
        torch.save(obj, path)
    finally:
        torch.serialization.location_tag = original


def authors_config(sonar_llm_config):
    keep = ["hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "hidden_act",
            "max_position_embeddings", "initializer_range", "rms_norm_eps", "use_cache", "pretraining_tp",
            "tie_word_embeddings", "rope_theta", "rope_scaling", "attention_bias", "attention_dropout",
            "mlp_bias", "head_dim"]
    return {"pretrained_model_name_or_path": "meta-llama/Llama-3.2-1B",
            "llama_config": {k: sonar_llm_config[k] for k in keep}}


def check_reload(path, expected):
    """torch.load (weights_only where torch allows it) gives back exactly the tensors we meant."""
    loaded = torch.load(path, map_location="cpu")
    for key in ("model_state_dict",):
        if isinstance(loaded, dict) and key in loaded:
            loaded = loaded[key]
    for k, v in expected.items():
        assert torch.equal(loaded[k], v), (path, k)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def storages_in(path):
    with zipfile.ZipFile(path) as z:
        return sorted(n for n in z.namelist() if "/data/" in n)


def special_cases(sonar_llm, out):
    os.makedirs(out, exist_ok=True)
    w = sonar_llm["forward_proj.linear.weight"][:16].clone()  # [16, 64], tiny-a values, own storage
    # half precision: plain, scaled up (overflow to inf) and down (subnormals), transposed view
    half = collections.OrderedDict()
    half["f16"] = w.half()
    half["f16_large"] = (w * 3e5).half()
    half["f16_small"] = (w * 1e-6).half()
    half["f16_transposed"] = w.half().t()
    half["bf16"] = w.bfloat16()
    half["bf16_large"] = (w * 1e36).bfloat16()
    half["bf16_transposed"] = w.bfloat16().t()
    torch.save(half, os.path.join(out, "half.pt"))
    write_safetensors(os.path.join(out, "half_golden.safetensors"),
                      {k: v.float() for k, v in half.items()})
    # views on one storage: transposed (non-contiguous), storage offset, strided column, contiguous slice
    views = collections.OrderedDict()
    views["transposed"] = w.t()
    views["offset_rows"] = w[5:]
    views["column"] = w[:, 3]
    views["block"] = w[2:6, 8:40]
    torch.save(views, os.path.join(out, "views.pt"))
    assert len(storages_in(os.path.join(out, "views.pt"))) == 1
    # tied weights: two names, one storage
    e = sonar_llm["llama_model.model.embed_tokens.weight"]
    torch.save(collections.OrderedDict([("embed_tokens.weight", e), ("lm_head.weight", e),
                                        ("norm.weight", sonar_llm["llama_model.model.norm.weight"])]),
               os.path.join(out, "tied.pt"))
    assert len(storages_in(os.path.join(out, "tied.pt"))) == 2
    # other pickle protocols (torch.save's default is 2): FRAME, SHORT_BINUNICODE, MEMOIZE,
    # STACK_GLOBAL, BINBYTES, EMPTY_SET/ADDITEMS; non-tensor values ride along
    b = sonar_llm["reverse_proj.linear.bias"]
    for proto in (3, 4, 5):
        obj = {"state_dict": collections.OrderedDict([("bias", b), ("weight", w)]),
               "numpy_rng_state": np.random.get_state(), "random_rng_state": random.getstate(),
               "tags": {1, 2}, "blob": b"\x00\x01", "nothing": None, "flag": True, "ratio": 0.25,
               "big": 2 ** 70, "neg": -5}
        torch.save(obj, os.path.join(out, "protocol%d.pt" % proto), pickle_protocol=proto)
    # the legacy (pre-1.6, non-zip) format
    # (its storage keys are memory addresses, so this file differs from run to run)
    torch.save({"bias": b}, os.path.join(out, "legacy.pt"), _use_new_zipfile_serialization=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--large", help="write only a large random checkpoint to this path (measurement)")
    ap.add_argument("--gib", type=float, default=1.5, help="size of --large in GiB")
    ap.add_argument("--tensor-mib", type=int, default=256, help="size of each --large tensor in MiB")
    ap.add_argument("--sharded", action="store_true", help="write only decoder-sharded/ and decoder/config.json")
    args = ap.parse_args()
    if args.large:
        return large(args.large, args.gib, args.tensor_mib)
    if args.sharded:
        return sharded_decoder(read_safetensors(os.path.join(TINY_A, "decoder/model.safetensors")))

    enc = read_safetensors(os.path.join(TINY_A, "encoder/model.safetensors"))
    dec = read_safetensors(os.path.join(TINY_A, "decoder/model.safetensors"))
    llm = read_safetensors(os.path.join(TINY_A, "sonar_llm/model.safetensors"))
    with open(os.path.join(TINY_A, "sonar_llm/config.json")) as f:
        llm_config = json.load(f)

    os.makedirs(os.path.join(OUT, "authors"), exist_ok=True)
    ckpt = authors_checkpoint(llm, dec)
    path = os.path.join(OUT, "authors/checkpoint.pt")
    save_as_if_on_gpu(ckpt, path, [ckpt["torch_rng_state"]])
    check_reload(path, ckpt["model_state_dict"])
    write_json(os.path.join(OUT, "authors/SonarLLM_tiny.json"), authors_config(llm_config))

    os.makedirs(os.path.join(OUT, "hf"), exist_ok=True)
    hf_config = authors_config(llm_config)
    hf_config["embed_dim"] = llm["forward_proj.linear.weight"].shape[1]
    hf_config["add_begin"] = True
    write_json(os.path.join(OUT, "hf/config.json"), hf_config)
    hf_state = llama_order(llm)
    torch.save({"model_state_dict": hf_state}, os.path.join(OUT, "hf/pytorch_model.bin"))
    check_reload(os.path.join(OUT, "hf/pytorch_model.bin"), hf_state)

    os.makedirs(os.path.join(OUT, "encoder"), exist_ok=True)
    torch.save(enc, os.path.join(OUT, "encoder/pytorch_model.bin"))
    with open(os.path.join(TINY_A, "encoder/config.json")) as f:
        write_json(os.path.join(OUT, "encoder/config.json"), json.load(f))
    os.makedirs(os.path.join(OUT, "decoder"), exist_ok=True)
    # HF M2M100 ties model.shared, model.decoder.embed_tokens and lm_head: one storage for the three
    shared = dec["model.shared.weight"]
    for k in ("model.decoder.embed_tokens.weight", "lm_head.weight"):
        assert torch.equal(dec[k], shared)
    tied = collections.OrderedDict((k, shared if k in ("model.decoder.embed_tokens.weight", "lm_head.weight") else v)
                                   for k, v in dec.items())
    torch.save(tied, os.path.join(OUT, "decoder/pytorch_model.bin"))
    check_reload(os.path.join(OUT, "decoder/pytorch_model.bin"), dec)
    sharded_decoder(dec)

    special_cases(llm, os.path.join(OUT, "special"))
    for dirpath, _, files in sorted(os.walk(OUT)):
        for f in sorted(files):
            p = os.path.join(dirpath, f)
            print("%9d  %s" % (os.path.getsize(p), os.path.relpath(p, ROOT)))


def sharded_decoder(dec):
    """decoder/config.json, and the decoder in two .bin shards with the index transformers writes
    ({"metadata": {"total_size"}, "weight_map": {name: shard}}); the tied embeddings share one storage in
    the first shard, the layers are split between the two."""
    with open(os.path.join(TINY_A, "decoder/config.json")) as f:
        config = json.load(f)
    write_json(os.path.join(OUT, "decoder/config.json"), config)
    out = os.path.join(OUT, "decoder-sharded")
    os.makedirs(out, exist_ok=True)
    write_json(os.path.join(out, "config.json"), config)
    shared = dec["model.shared.weight"]
    names = list(dec.keys())
    first = [k for k in names if not k.startswith("model.decoder.layers.1.")]
    shards = [first, [k for k in names if k not in first]]
    weight_map = collections.OrderedDict()
    total = 0
    for i, keys in enumerate(shards):
        name = "pytorch_model-%05d-of-%05d.bin" % (i + 1, len(shards))
        part = collections.OrderedDict((k, shared if k in ("model.decoder.embed_tokens.weight", "lm_head.weight",
                                                             "model.shared.weight") else dec[k]) for k in keys)
        torch.save(part, os.path.join(out, name))
        check_reload(os.path.join(out, name), {k: dec[k] for k in keys})
        for k in keys:
            weight_map[k] = name
            total += dec[k].numel() * dec[k].element_size()
    write_json(os.path.join(out, "pytorch_model.bin.index.json"),
               {"metadata": {"total_size": total}, "weight_map": weight_map})
    for f in sorted(os.listdir(out)):
        print("%9d  %s" % (os.path.getsize(os.path.join(out, f)), os.path.relpath(os.path.join(out, f), ROOT)))


def large(path, gib, tensor_mib):
    """A random float32 state dict of about `gib` GiB in tensors of `tensor_mib` MiB each."""
    n = tensor_mib * (1 << 20) // 4
    count = max(1, int(round(gib * 1024 / tensor_mib)))
    g = torch.Generator().manual_seed(7)
    state = collections.OrderedDict(
        ("layers.%d.weight" % i, torch.randn(n // 1024, 1024, generator=g)) for i in range(count))
    torch.save({"model_state_dict": state, "epoch": 1}, path)
    print("%s: %d tensors of %d MiB, %d bytes" % (path, count, tensor_mib, os.path.getsize(path)))


if __name__ == "__main__":
    sys.exit(main())
