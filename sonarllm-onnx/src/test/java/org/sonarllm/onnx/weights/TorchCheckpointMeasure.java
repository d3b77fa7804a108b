package org.sonarllm.onnx.weights;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Measurement, not a unit test: opens a large checkpoint, reads every tensor through
 * {@link TorchCheckpoint#float32Bytes} and sums it (touching every element), and reports the time
 * and the process's resident memory split into anonymous (heap, copies) and file-backed (mapped
 * page cache) parts, sampled from /proc/self/status after each tensor.
 *
 * <pre>
 * /usr/bin/python3 scripts/testdata/make-torch-fixtures.py --large /tmp/large.pt --gib 1.5
 * mvn -B -o -q -pl sonarllm-onnx -am test-compile
 * mvn -B -o -q -pl sonarllm-onnx dependency:build-classpath -Dmdep.outputFile=/tmp/deps.txt -Dmdep.includeScope=test
 * CP=sonarllm-onnx/target/test-classes:sonarllm-onnx/target/classes:sonarllm-core/target/classes:$(cat /tmp/deps.txt)
 * java -Xmx256m -cp "$CP" org.sonarllm.onnx.weights.TorchCheckpointMeasure /tmp/large.pt [--gc-each]
 * </pre>
 */
public final class TorchCheckpointMeasure {
    private TorchCheckpointMeasure() {}

    static Map<String, Long> status() throws IOException {
        Map<String, Long> m = new HashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            String[] f = line.split("\\s+");
            if (f.length == 3 && f[2].equals("kB")) {
                m.put(f[0].replace(":", ""), Long.parseLong(f[1]) / 1024);
            }
        }
        return m;
    }

    /** @param args the checkpoint path [--gc-each: collect after each tensor so its mapping is released] */
    public static void main(String[] args) throws IOException {
        Path file = Path.of(args[0]);
        boolean gcEach = args.length > 1 && args[1].equals("--gc-each");
        long size = Files.size(file);
        long t0 = System.nanoTime();
        long maxAnon = 0;
        long maxFile = 0;
        double sum = 0;
        long bytes = 0;
        long tOpen;
        try (TorchCheckpoint c = TorchCheckpoint.open(file)) {
            tOpen = System.nanoTime();
            Map<String, Long> s0 = status();
            System.out.printf("after open: RssAnon %d MiB, RssFile %d MiB%n", s0.get("RssAnon"), s0.get("RssFile"));
            for (String n : c.names()) {
                FloatBuffer fb = c.floatBuffer(n);
                bytes += 4L * fb.remaining();
                for (int i = 0, len = fb.remaining(); i < len; i++) {
                    sum += fb.get(i);
                }
                if (gcEach) {
                    fb = null;
                    System.gc();
                }
                Map<String, Long> s = status();
                maxAnon = Math.max(maxAnon, s.get("RssAnon"));
                maxFile = Math.max(maxFile, s.get("RssFile"));
            }
        }
        long t1 = System.nanoTime();
        Map<String, Long> end = status();
        System.out.printf("file %d MiB, tensors %d MiB, open %.1f ms, open+read+sum %.0f ms (%.2f GB/s), sum %.6e%n",
                size >> 20, bytes >> 20, (tOpen - t0) / 1e6, (t1 - t0) / 1e6, bytes / ((t1 - t0) / 1e9) / 1e9, sum);
        System.out.printf("max RssAnon %d MiB, max RssFile %d MiB, VmHWM %d MiB, heap used %d MiB of max %d MiB%n",
                maxAnon, maxFile, end.get("VmHWM"),
                (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20,
                Runtime.getRuntime().maxMemory() >> 20);
    }
}
