#!/usr/bin/env bash
# Compares the CPU time of the same encode/decode work on two bundles of the same weights (e.g. the same
# checkpoint converted into format 1 by an older CLI and into format 2 by this one), both loaded in one
# JVM, alternating which runs first, one intra-op thread; prints the median of 12 repetitions per
# operation. Process CPU time is robust to other jobs on a shared machine (docs/benchmarks.md).
# Usage: scripts/bench/bundle-ab.sh BUNDLE_A BUNDLE_B [THREADS]
# Needs the CLI built (./sonarllm --help builds it). (jshell reads statement by statement: keep each on one line.)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
a="$(cd "${1:?usage: bundle-ab.sh BUNDLE_A BUNDLE_B [THREADS]}" && pwd)"
b="$(cd "${2:?usage: bundle-ab.sh BUNDLE_A BUNDLE_B [THREADS]}" && pwd)"
threads="${3:-1}"
script="$(mktemp --suffix .jsh)"
trap 'rm -f "$script"' EXIT
cat > "$script" <<JSH
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.runtime.RuntimeOptions;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;
var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
var o = RuntimeOptions.builder().intraOpThreads($threads).interOpThreads(1).verifyHashes(false).encoderBatchSize(32).decoderBatchSize(16).build();
SonarLlm a = SonarLlm.load(java.nio.file.Path.of("$a"), o);
SonarLlm b = SonarLlm.load(java.nio.file.Path.of("$b"), o);
var r = new java.util.Random(7);
List<int[]> sents = new ArrayList<>();
for (int i = 0; i < 32; i++) { int[] s = new int[24]; for (int t = 0; t < 24; t++) s[t] = 4 + r.nextInt(1000); sents.add(s); }
List<float[]> e16 = a.onnxEncoder().encodeIds(sents).subList(0, 16);
List<float[]> e1 = e16.subList(0, 1);
String[] names = {"encoder, 32 sentences", "decoder 1, greedy", "decoder 16, greedy", "decoder 1, beam 5", "decoder 16, beam 5"};
double[][][] ms = new double[2][names.length][12];
for (int rep = 0; rep < 12; rep++) {
  for (int first = 0; first < 2; first++) {
    int w = (rep + first) % 2;
    SonarLlm m = w == 0 ? a : b;
    for (int k = 0; k < names.length; k++) {
      long c0 = os.getProcessCpuTime();
      switch (k) {
        case 0 -> m.onnxEncoder().encodeIds(sents);
        case 1 -> m.onnxDecoder().decode(e1, Language.ENGLISH, DecodingOptions.greedy().withMaxTokens(32), true);
        case 2 -> m.onnxDecoder().decode(e16, Language.ENGLISH, DecodingOptions.greedy().withMaxTokens(32), true);
        case 3 -> m.onnxDecoder().decode(e1, Language.ENGLISH, DecodingOptions.beam(5).withMaxTokens(32), true);
        default -> m.onnxDecoder().decode(e16, Language.ENGLISH, DecodingOptions.beam(5).withMaxTokens(32), true);
      }
      ms[w][k][rep] = (os.getProcessCpuTime() - c0) / 1e6;
    }
  }
}
for (int k = 0; k < names.length; k++) {
  double[] x = ms[0][k].clone(), y = ms[1][k].clone();
  java.util.Arrays.sort(x); java.util.Arrays.sort(y);
  double mx = (x[5] + x[6]) / 2, my = (y[5] + y[6]) / 2;
  System.out.printf("%-24s A %8.1f ms CPU   B %8.1f ms CPU   A/B %.3f%n", names[k], mx, my, mx / my);
}
a.close(); b.close();
/exit
JSH
jshell --class-path "$(echo "$root"/sonarllm-cli/target/lib/*.jar | tr ' ' ':'):$root/sonarllm-cli/target/classes" \
    -R-Xmx2g "$script" 2>/dev/null | grep -v '^SLF4J'
