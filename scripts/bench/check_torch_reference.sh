#!/usr/bin/env bash
# Checks the PyTorch references against the independent tiny-a outputs. Training (torch_train_step.py): the CE
# and MSE losses of case h's two documents through the tiny-a concept LM and decoder must equal expected.json's
# within float32 rounding. Inference (torch_infer.py): encoder embeddings (case b), greedy ids (d), beam best
# ids, scores and every hypothesis (e) and the generation loop's ids with and without the concept-LM cache (g),
# for each linear-layer backend. Run before trusting a benchmark:  scripts/bench/check_torch_reference.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
TINY=sonarllm-core/src/test/resources/org/sonarllm/testing/tiny-a
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lm" && cp "$TINY/sonar_llm/config.json" "$TINY/sonar_llm/model.safetensors" "$work/lm/"
/usr/bin/python3 - "$TINY/expected.json" "$work" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))["h_loss"]
rows, toks, r = h["decoder_input_ids"], [], 0
for doc in h["document_embeddings"]:
    t = [[5]]                       # sentence 0 is never decoded
    for _ in range(1, len(doc)):
        row = rows[r]; r += 1
        t.append(row[1:row.index(2, 1)])   # [lang] + pieces between the two </s>
    toks.append(t)
json.dump({"embeddings": h["document_embeddings"], "tokens": toks, "eos_id": 2, "pad_id": 1},
          open(sys.argv[2] + "/batch.json", "w"))
json.dump({"ce": h["ce_loss"], "mse": h["mse_loss"]}, open(sys.argv[2] + "/want.json", "w"))
PY
for obj in ce mse; do
  echo "{\"objective\":\"$obj\",\"steps\":1,\"lr\":1e-4,\"min_lr\":1e-5,\"warmup\":1,\"weight_decay\":0.1,\"beta1\":0.9,\"beta2\":0.95,\"eps\":1e-8,\"clip\":1.0}" > "$work/run.json"
  /usr/bin/python3 scripts/bench/torch_train_step.py --dump "$work" --decoder "$TINY/decoder" --threads 1 > "$work/$obj.json"
  /usr/bin/python3 -c "
import json, sys
got = json.load(open('$work/$obj.json'))['loss_step0']; want = json.load(open('$work/want.json'))['$obj']
ok = abs(got - want) <= 1e-5 * abs(want)
print('$obj loss: reference %.9g, tiny-a %.9g, relative error %.2e %s' % (got, want, abs(got - want) / abs(want), 'ok' if ok else 'MISMATCH'))
sys.exit(0 if ok else 1)"
done
for linear in blas blas-t mkldnn; do
  echo "inference reference, --linear $linear:"
  /usr/bin/python3 scripts/bench/torch_infer.py tiny-a --linear "$linear" --threads 1 --expected "$TINY/expected.json"
done
