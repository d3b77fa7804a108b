#!/usr/bin/env bash
# Throughput of encode-corpus on Spark local mode against the single-JVM CorpusPipeline (same corpus, same
# bundle, one JVM, alternating runs), and against the job's own per-unit code without Spark. Default: the
# embedded Austen model on the six Austen novels (options given first win).
#   scripts/bench/spark-encode.sh [--master local[2]] [--reps 3] [--bundle DIR] [--corpus PATH]
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# In one reactor build, so the project's own modules resolve to their target/ directories (the last module
# written is sonarllm-spark's class path).
mvn -B -q -o test-compile dependency:build-classpath -pl sonarllm-spark -am -Dmdep.includeScope=test \
  -Dmdep.outputFile="$work/cp.txt" >/dev/null
# The class path goes in an @argfile: ONNX Runtime must not see a long command line.
{ echo "-cp"; echo "sonarllm-spark/target/test-classes:sonarllm-spark/target/classes:$(cat "$work/cp.txt")"; } > "$work/args"
SPARK_LOCAL_IP=127.0.0.1 java -Xmx4g @sonarllm-spark/src/main/launcher/jvm-options \
  -Dlog4j2.configurationFile=sonarllm-spark/src/main/launcher/log4j2.properties \
  @"$work/args" org.sonarllm.spark.EncodeBench "$@" \
  --bundle sonarllm-default-model/src/main/resources/sonarllm/default-bundle --corpus data/austen --work "$work/run"
