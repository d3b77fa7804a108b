#!/usr/bin/env bash
# Trains the English SentencePiece BPE model of the default (Austen) SONAR miniature and writes an
# NLLB-style tokenizer directory: sentencepiece.bpe.model, languages.txt, tokenizer_config.json.
#
# Usage: scripts/train-tokenizer.sh [OUT_DIR] [VOCAB_SIZE]
#   OUT_DIR     default: models/austen/tokenizer
#   VOCAB_SIZE  default: 4000 (SentencePiece pieces; the model vocabulary adds 4 specials, 202
#               language codes and <mask>)
#
# Training text: every non-empty line of the five training novels in data/austen/ (persuasion.txt is
# held out for evaluation and never seen by the tokenizer or the model). Flags mirror the tiny-a
# reference fixture (BPE, nmt_nfkc normalization by default, no byte fallback, fixed seed, one thread),
# so the result is deterministic for a given spm_train version.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$ROOT/models/austen/tokenizer}"
VOCAB="${2:-4000}"
TRAIN_NOVELS=(emma mansfieldpark northangerabbey prideprejudice sensesensibility)

if ! command -v spm_train >/dev/null 2>&1; then
  echo "spm_train not found; installing the Debian sentencepiece package" >&2
  if [ "$(id -u)" -eq 0 ]; then
    apt-get install -y sentencepiece >&2
  else
    sudo apt-get install -y sentencepiece >&2
  fi
fi

mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

for n in "${TRAIN_NOVELS[@]}"; do
  f="$ROOT/data/austen/$n.txt"
  [ -f "$f" ] || { echo "missing corpus file $f" >&2; exit 1; }
  tr -d '\r' < "$f" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' | grep -v '^$'
done > "$WORK/train.txt"

( cd "$WORK" && spm_train \
    --input=train.txt \
    --model_prefix=sentencepiece.bpe \
    --model_type=bpe \
    --vocab_size="$VOCAB" \
    --character_coverage=1.0 \
    --normalization_rule_name=nmt_nfkc \
    --byte_fallback=false \
    --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 \
    --num_threads=1 \
    --random_seed=42 \
    --input_sentence_size=0 \
    --shuffle_input_sentence=false \
    --minloglevel=2 )

cp "$WORK/sentencepiece.bpe.model" "$OUT/sentencepiece.bpe.model"
cp "$ROOT/sonarllm-core/src/main/resources/org/sonarllm/lang/flores200.txt" "$OUT/languages.txt"

NLANG=$(grep -c . "$OUT/languages.txt")
ENG_INDEX=$(grep -n '^eng_Latn$' "$OUT/languages.txt" | cut -d: -f1)
FIRST_LANG=$((VOCAB + 1))
MASK=$((VOCAB + 1 + NLANG))
cat > "$OUT/tokenizer_config.json" <<EOF
{
 "tokenizer_class": "NllbTokenizer",
 "vocab_file": "sentencepiece.bpe.model",
 "languages_file": "languages.txt",
 "src_lang": "eng_Latn",
 "tgt_lang": "eng_Latn",
 "bos_token_id": 0,
 "pad_token_id": 1,
 "eos_token_id": 2,
 "unk_token_id": 3,
 "fairseq_offset": 1,
 "sp_model_size": $VOCAB,
 "first_lang_code_id": $FIRST_LANG,
 "num_lang_codes": $NLANG,
 "src_lang_id": $((FIRST_LANG + ENG_INDEX - 1)),
 "mask_token_id": $MASK,
 "tokenizer_vocab_size": $((MASK + 1)),
 "model_vocab_size": $((MASK + 1)),
 "decoder_start_token_id": 2,
 "model_max_length": 512
}
EOF
sha256sum "$WORK/train.txt" "$OUT/sentencepiece.bpe.model" | sed "s#$WORK/##" >&2
echo "tokenizer written to $OUT" >&2
