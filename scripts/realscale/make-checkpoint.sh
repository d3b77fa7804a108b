#!/usr/bin/env bash
# Writes a random-weight SONAR-LLM release of exactly the real shapes and layouts (not committed data):
#   OUT/encoder/   M2M100Encoder, d 1024, 16 heads, FFN 8192, 24 layers, vocab 256206: config.json + model.safetensors (3.1 GB)
#   OUT/decoder/   M2M100ForConditionalGeneration decoder, 24 layers, lm_head stored beside the equal embedding,
#                  cross-attention q/k and LayerNorm included: config.json + model.safetensors.index.json + 2 shards (4.4 GB)
#   OUT/tokenizer/ Hugging Face NLLB tokenizer folder, 256000 SentencePiece pieces, no languages.txt
#   OUT/sonar_llm/ the authors' 600M release: SonarLLM_600M.json + checkpoint.pt (2.5 GB; see make-checkpoint.py)
# Usage: scripts/realscale/make-checkpoint.sh OUT [--with-frozen-decoder] [--with-optimizer]
# Needs: the CLI built (./sonarllm --help builds it), Debian's python3-torch and python3-numpy.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:?usage: make-checkpoint.sh OUT [--with-frozen-decoder] [--with-optimizer]}"
shift
mkdir -p "$out"
cp="$root/sonarllm-cli/target/classes:$root/sonarllm-cli/target/lib/*"
[ -d "$root/sonarllm-cli/target/lib" ] || "$root/sonarllm" --help >/dev/null
echo "encoder and decoder (Java, streamed)..." >&2
java -Xmx1g -cp "$cp" org.sonarllm.onnx.convert.RandomSonarCheckpoint "$out" real 1 --decoder-shards 2
echo "tokenizer and the authors' concept LM checkpoint (PyTorch)..." >&2
/usr/bin/python3 "$root/scripts/realscale/make-checkpoint.py" "$out" "$@"
du -sh "$out"/* >&2
