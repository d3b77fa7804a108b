#!/usr/bin/env bash
# One sitting of the inference comparison in docs/benchmarks.md: the float32 GEMM peak (MLAS through ONNX
# Runtime, OpenBLAS through PyTorch), then the Java SDK (./sonarllm bench) and the PyTorch reference
# (torch_infer.py) on the same random-weight model, the same inputs and the same threads, with the id hashes
# compared. Prints JSON lines, each prefixed with the load average at that moment.
#   scripts/bench/bench-inference.sh WORK [SHAPE] [THREADS]
# WORK keeps the model (WORK/checkpoint, WORK/bundle, created once with SHAPE, default medium) and the dump.
# Needs: Debian python3-torch, libopenblas0-openmp, python3-sentencepiece (for generate).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:?usage: bench-inference.sh WORK [SHAPE] [THREADS]}
shape=${2:-medium}
threads=${3:-2}
tok=models/austen/tokenizer
load() { cut -d' ' -f1-3 /proc/loadavg; }
tag() { while IFS= read -r l; do echo "load $(load) $1 $l"; done; }
py() { /usr/bin/python3 scripts/bench/torch_infer.py "$@" --threads "$threads"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uptime)"
./sonarllm bench --tasks gemm --threads "$threads" | tag java
/usr/bin/python3 - "$threads" <<'PY' | tag openblas
import sys, time, json, torch
torch.set_num_threads(int(sys.argv[1]))
for n in (2048, 4096):
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"task": "gemm", "m": n, "k": n, "n": n, "gflops": round(2 * n ** 3 / best / 1e9, 1)}))
PY
./sonarllm bench --random "$shape" --work "$work" --tokenizer "$tok" --threads "$threads" --tasks load,encode,decode,generate \
    --repeats 2 --dump "$work/dump" | tag java
py encode --inputs "$work/dump/inputs.json" --encoder "$work/checkpoint/encoder" --batch 1,32 --repeats 2 | tag torch
py decode --inputs "$work/dump/inputs.json" --decoder "$work/checkpoint/decoder" --batch 1,16 --search greedy,beam5 \
    --repeats 2 | tag torch
if [ -d "$work/checkpoint/concept-lm" ]; then
  py generate --inputs "$work/dump/inputs.json" --encoder "$work/checkpoint/encoder" --decoder "$work/checkpoint/decoder" \
      --concept-lm "$work/checkpoint/concept-lm" --tokenizer "$tok" --search beam5 --lm-cache true,false \
      --warmup 0 --repeats 1 | tag torch
fi
