#!/usr/bin/env bash
# Writes the Hugging Face NLLB tokenizer folder fixtures of sonarllm-core's tests: a tokenizer folder as
# users download one (sentencepiece.bpe.model, tokenizer_config.json, special_tokens_map.json; no
# languages.txt) for tiny-a's SentencePiece model and for the Austen model (models/austen/tokenizer).
#
# Usage: scripts/hf-tokenizer-fixtures.sh       (needs python3, standard library only)
#
# The JSON is what transformers >= 4.34 `NllbTokenizer.save_pretrained` writes: json.dumps(indent=2,
# sort_keys=True, ensure_ascii=False) + "\n" (so the ids of added_tokens_decoder are sorted as strings);
# added_tokens_decoder maps each id to an AddedToken {content, lstrip, normalized, rstrip, single_word,
# special}: <s> <pad> </s> <unk> at 0-3, the 202 FLORES-200 codes (additional_special_tokens) at
# sp_model_size + 1 ..., and <mask> (lstrip and normalized, as NllbTokenizer declares it) right after them.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RES="$ROOT/sonarllm-core/src/test/resources/org/sonarllm/tokenize"
LANGS="$ROOT/sonarllm-core/src/main/resources/org/sonarllm/lang/flores200.txt"

mkdir -p "$RES/hf-tiny-a" "$RES/hf-austen"
cp "$ROOT/sonarllm-core/src/test/resources/org/sonarllm/testing/tiny-a/tokenizer/sentencepiece.bpe.model" "$RES/hf-tiny-a/"
cp "$ROOT/models/austen/tokenizer/sentencepiece.bpe.model" "$RES/hf-austen/"

for d in "$RES/hf-tiny-a" "$RES/hf-austen"; do
  size="$(spm_export_vocab --model="$d/sentencepiece.bpe.model" 2>/dev/null | wc -l || true)"
  if [ -z "$size" ] || [ "$size" = 0 ]; then
    echo "spm_export_vocab (Debian package sentencepiece) is needed to read the model size" >&2
    exit 1
  fi
  python3 - "$d" "$size" "$LANGS" <<'PY'
import json, sys
d, size, langs_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
langs = [l.strip() for l in open(langs_file, encoding="utf-8") if l.strip()]

def token(content, lstrip=False, normalized=False):
    return {"content": content, "lstrip": lstrip, "normalized": normalized, "rstrip": False,
            "single_word": False, "special": True}

added = {"0": token("<s>"), "1": token("<pad>"), "2": token("</s>"), "3": token("<unk>")}
for k, code in enumerate(langs):
    added[str(size + 1 + k)] = token(code)
added[str(size + 1 + len(langs))] = token("<mask>", lstrip=True, normalized=True)
config = {
    "added_tokens_decoder": added,
    "additional_special_tokens": langs,
    "bos_token": "<s>",
    "clean_up_tokenization_spaces": True,
    "cls_token": "<s>",
    "eos_token": "</s>",
    "legacy_behaviour": False,
    "mask_token": "<mask>",
    "model_max_length": 1024,
    "pad_token": "<pad>",
    "sep_token": "</s>",
    "sp_model_kwargs": {},
    "src_lang": "eng_Latn",
    "tgt_lang": None,
    "tokenizer_class": "NllbTokenizer",
    "unk_token": "<unk>",
}

def special(content, lstrip=False, normalized=False):
    t = token(content, lstrip, normalized)
    del t["special"]
    return t

special_map = {
    "additional_special_tokens": langs,
    "bos_token": special("<s>"),
    "cls_token": special("<s>"),
    "eos_token": special("</s>"),
    "mask_token": special("<mask>", lstrip=True, normalized=True),
    "pad_token": special("<pad>"),
    "sep_token": special("</s>"),
    "unk_token": special("<unk>"),
}
for name, obj in (("tokenizer_config.json", config), ("special_tokens_map.json", special_map)):
    with open(f"{d}/{name}", "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
PY
  echo "wrote $d (sp_model_size $size)" >&2
done
