#!/usr/bin/env bash
# Encode throughput of SonarTokenizer (pure-Java SentencePiece) against the last version built on DJL's
# native SentencePiece binding (ai.djl.sentencepiece 0.34.0), in one sitting: scripts/bench/TokenizerBench.java
# runs alternately against both, 1 and 2 threads, three times each.
#
# Usage: scripts/bench-tokenizer.sh [TOKENIZER_DIR] [CORPUS] [ROUNDS]
#   TOKENIZER_DIR  default models/austen/tokenizer (the default model's BPE, 4000 pieces)
#   CORPUS         default data/austen/emma.txt (its paragraphs, split into sentences)
#   ROUNDS         default 15 (each round encodes every sentence once per thread)
# Needs Maven (the DJL jars come from Maven Central) and git (the old sources come from this repository's
# history). The old version runs with DJL's offline mode and OPT_OUT_TRACKING set, which keep its
# call-home probe of the cloud metadata address from running.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OLD_COMMIT=9fbf355   # the last commit whose SonarTokenizer used ai.djl.sentencepiece
TOK="${1:-$ROOT/models/austen/tokenizer}"
CORPUS="${2:-$ROOT/data/austen/emma.txt}"
ROUNDS="${3:-15}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "building this version's sonarllm-core" >&2
(cd "$ROOT" && mvn -B -q -pl sonarllm-core compile dependency:build-classpath -Dmdep.includeScope=runtime \
    -Dmdep.outputFile="$WORK/cp.txt" >&2)
CP="$(cat "$WORK/cp.txt")"

echo "building sonarllm-core at $OLD_COMMIT with DJL's SentencePiece" >&2
git -C "$ROOT" archive "$OLD_COMMIT" sonarllm-core/src/main | tar -x -C "$WORK"
cat > "$WORK/pom.xml" <<'EOF'
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>bench</groupId><artifactId>djl-classpath</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>ai.djl.sentencepiece</groupId><artifactId>sentencepiece</artifactId><version>0.34.0</version></dependency>
  </dependencies>
</project>
EOF
(cd "$WORK" && mvn -B -q dependency:build-classpath -Dmdep.outputFile="$WORK/djl-cp.txt" >&2)
DJL_CP="$(cat "$WORK/djl-cp.txt")"
mkdir -p "$WORK/old"
javac -nowarn -d "$WORK/old" -cp "$CP:$DJL_CP" $(find "$WORK/sonarllm-core/src/main/java" -name '*.java') 2>/dev/null
cp -r "$WORK/sonarllm-core/src/main/resources/." "$WORK/old/"

BENCH="$ROOT/scripts/bench/TokenizerBench.java"
LOG=(-Dorg.slf4j.simpleLogger.defaultLogLevel=error)
echo "tokenizer $TOK, corpus $CORPUS, $ROUNDS rounds; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for i in 1 2 3; do
  for t in 1 2; do
    printf 'DJL       %s\n' "$(OPT_OUT_TRACKING=true java "${LOG[@]}" -Dai.djl.offline=true -DOPT_OUT_TRACKING=true \
        -cp "$WORK/old:$CP:$DJL_CP" "$BENCH" "$TOK" "$CORPUS" "$t" "$ROUNDS")"
    printf 'pure Java %s\n' "$(java "${LOG[@]}" -cp "$ROOT/sonarllm-core/target/classes:$CP" "$BENCH" "$TOK" "$CORPUS" "$t" "$ROUNDS")"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
