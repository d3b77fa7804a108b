#!/usr/bin/env bash
# One training-step comparison in one sitting: ./sonarllm bench-train (Java, SameDiff) and the PyTorch
# reference scripts/bench/torch_train_step.py on the same initial weights, documents and schedule (the
# Java run dumps them). Prints the two JSON lines (java first). Arguments after the first two go to
# bench-train unchanged; --threads N is passed to both sides.
#   scripts/bench/train-vs-torch.sh BUNDLE HF_DECODER_DIR --shape 256,4,4,4,64,768 --batch-size 4 \
#       --sentences 16 --tokens 24 --steps 8 --threads 2
# For --objective mse pass "-" as HF_DECODER_DIR (and --dim D instead of a bundle: BUNDLE "-").
# Environment: SONARLLM_JAVA_OPTS (default -Xmx2g), TORCH_ENV (extra environment of the PyTorch run).
set -euo pipefail
cd "$(dirname "$0")/../.."
bundle=$1 decoder=$2; shift 2
threads=1
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do [[ ${args[$i]} == --threads ]] && threads=${args[$((i + 1))]}; done
dump=$(mktemp -d); trap 'rm -rf "$dump"' EXIT
model=(); [[ $bundle != - ]] && model=(--model "$bundle")
SONARLLM_JAVA_OPTS=${SONARLLM_JAVA_OPTS:--Xmx2g} ./sonarllm bench-train "${model[@]}" "$@" --dump "$dump" 2>/dev/null
dec=(); [[ $decoder != - ]] && dec=(--decoder "$decoder")
env ${TORCH_ENV:-} /usr/bin/python3 scripts/bench/torch_train_step.py --dump "$dump" "${dec[@]}" --threads "$threads"
