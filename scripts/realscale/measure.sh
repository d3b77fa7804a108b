#!/usr/bin/env bash
# Converts the real-scale release written by make-checkpoint.sh and measures, in one sitting, what
# docs/benchmarks.md ("Real scale") reports: conversion time and peak RSS, bundle size, load time (with
# and without sha256 verification), peak RSS of encode, decode and generate through the CLI.
# Usage: scripts/realscale/measure.sh DIR        (DIR as given to make-checkpoint.sh; DIR/bundle is written)
# Needs /usr/bin/time (Debian package `time`) and the CLI built (./sonarllm --help builds it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$(cd "${1:?usage: measure.sh DIR}" && pwd)"
cli="$root/sonarllm"
cp="$root/sonarllm-cli/target/classes:$root/sonarllm-cli/target/lib/*"
log="$dir/measure.log"
: > "$log"
peak() { grep -E "Elapsed|Maximum resident" "$1" | sed 's/^\s*/    /' | tee -a "$log"; }
note() { echo "$*" | tee -a "$log"; }

note "== $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
rm -rf "$dir/bundle"
note "convert"
/usr/bin/time -v "$cli" convert --encoder "$dir/encoder" --decoder "$dir/decoder" --tokenizer "$dir/tokenizer" \
    --concept-lm "$dir/sonar_llm" --out "$dir/bundle" > "$dir/convert.json" 2> "$dir/convert.err"
peak "$dir/convert.err"
note "bundle: $(du -sb "$dir/bundle" | cut -f1) bytes; weights: $(cat "$dir"/bundle/*.safetensors | wc -c) bytes"

note "load (SonarLlm.load, all components; with and without sha256 of every file)"
cat > "$dir/load.jsh" <<EOF
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.runtime.RuntimeOptions;
for (boolean verify : new boolean[] {true, false}) {
    long t0 = System.nanoTime();
    try (SonarLlm llm = SonarLlm.load(java.nio.file.Path.of("$dir/bundle"), RuntimeOptions.builder().verifyHashes(verify).build())) {
        System.out.printf("    verifyHashes %s: %.1f s%n", verify, (System.nanoTime() - t0) / 1e9);
    }
}
/exit
EOF
jshell --class-path "$(echo "$root"/sonarllm-cli/target/lib/*.jar | tr ' ' ':'):$root/sonarllm-cli/target/classes" \
    -R-Xmx2g "$dir/load.jsh" 2>/dev/null | tee -a "$log"

echo "The weather is nice today." > "$dir/sentence.txt"
note "encode (one sentence)"
/usr/bin/time -v "$cli" encode --model "$dir/bundle" --lang eng_Latn < "$dir/sentence.txt" > "$dir/encode.json" 2> "$dir/encode.err"
peak "$dir/encode.err"
note "decode (that embedding, beam 5, 32 tokens)"
/usr/bin/time -v "$cli" decode --model "$dir/bundle" --lang eng_Latn --max-tokens 32 < "$dir/encode.json" > "$dir/decode.json" 2> "$dir/decode.err"
peak "$dir/decode.err"
note "generate (2-sentence prompt, 3 sentences, greedy, 24 tokens each)"
/usr/bin/time -v "$cli" generate --model "$dir/bundle" --max-sentences 3 --max-tokens 24 --greedy --json \
    "The weather is nice today. We went for a walk." < /dev/null > "$dir/generate.json" 2> "$dir/generate.err"
peak "$dir/generate.err"
note "generated: $(grep -o '"text":"[^"]*"' "$dir/generate.json" | wc -l) texts (prompt + sentences)"
note "== done, load $(cut -d' ' -f1-3 /proc/loadavg)"
