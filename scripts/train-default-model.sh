#!/usr/bin/env bash
# Reproduces the embedded default model (docs/default-model.md): the miniature SONAR space (autoencoder)
# trained on five Austen novels, a concept LM trained on it with cross-entropy through the frozen decoder
# (the shipped one) and the MSE baseline with the same budget, their evaluations, and the installed bundle.
# Every stage resumes: re-run the script after an interruption. Runs on CPU; about 1.5 h on 2 cores.
# The Austen choice is this script's: the library and the CLI read any text files.
#   scripts/train-default-model.sh [RUNS_DIR]      (default: runs/)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-runs}
mkdir -p "$RUNS"
MEM="-Dorg.bytedeco.javacpp.maxbytes=5g -Dorg.bytedeco.javacpp.maxphysicalbytes=12g"
export OMP_NUM_THREADS=1

# 0. The training corpus: the five training novels (Persuasion is held out).
mkdir -p "$RUNS/austen-train"
for n in emma mansfieldpark northangerabbey prideprejudice sensesensibility; do
  cp -n "data/austen/$n.txt" "$RUNS/austen-train/"
done

# 1. The autoencoder (SONAR-style encoder/decoder), two data-parallel workers, 5000 steps.
SONARLLM_JAVA_OPTS="-Xmx4g $MEM -Dorg.bytedeco.openblas.nthreads=1" ./sonarllm train-space \
  --tokenizer models/austen/tokenizer --corpus "$RUNS/austen-train" --out "$RUNS/ae" --workers 2 \
  --d 128 --heads 4 --layers 3 --ffn 512 --batch-size 64 --max-tokens 40 --steps 5000 --interpolation-from 4300 \
  --lr 2e-3 --warmup 100 --noised-share 0.1 --checkpoint-every 250 --resume > "$RUNS/ae.json"

# 2. Bundle of the space (encoder, decoder, tokenizer).
[ -f "$RUNS/space/manifest.json" ] || ./sonarllm convert --encoder "$RUNS/ae/encoder" --decoder "$RUNS/ae/decoder" \
  --tokenizer "$RUNS/ae/tokenizer" --out "$RUNS/space"

# 3. Concept LMs on Austen paragraphs (the five training novels): CE (shipped) and MSE, same shape and budget.
export SONARLLM_JAVA_OPTS="-Xmx3g $MEM"
LM="--shape 192,4,4,4,48,576 --steps 1100 --batch-size 8 --lr 1e-3 --warmup 100 --checkpoint-every 100 --validation 0.02 --seed 1"
for obj in ce mse; do
  [ -f "$RUNS/lm-$obj/manifest.json" ] || ./sonarllm train --model "$RUNS/space" --corpus "$RUNS/austen-train" \
    --out "$RUNS/lm-$obj" --work "$RUNS/lm-$obj.work" --objective $obj $LM \
    $([ -d "$RUNS/lm-$obj.work" ] && echo --resume)
done

# 4. Evaluations: the space (held-out reconstruction, retrieval) and next-sentence metrics of both LMs.
./sonarllm eval-space --model "$RUNS/lm-ce" --corpus data/austen/persuasion.txt --sentences 500 > "$RUNS/space-eval.json"
for obj in ce mse; do
  ./sonarllm eval-next --model "$RUNS/lm-$obj" --corpus data/austen/persuasion.txt --max-docs 200 --seed 1 --beam 5 \
    --pairs "$RUNS/next-$obj.jsonl" > "$RUNS/next-$obj.json"
done

# 5. Install the MSE bundle as the embedded default (it reads better than the CE one at this scale; docs/default-model.md).
DEST=sonarllm-default-model/src/main/resources/sonarllm/default-bundle
rm -rf "$DEST" && mkdir -p "$DEST" && cp -r "$RUNS/lm-mse/." "$DEST/"
echo "installed $(du -sh "$DEST" | cut -f1) into $DEST"
