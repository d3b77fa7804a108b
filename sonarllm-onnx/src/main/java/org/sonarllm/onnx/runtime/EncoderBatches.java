package org.sonarllm.onnx.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts sentences sorted by length into encoder batches. A batch holds at most {@code maxSentences}
 * sentences and at most {@code tokenBudget} padded tokens (sentences x its longest sentence; a single
 * longer sentence still forms a batch), so that short sentences travel in large batches and long ones in
 * small ones, with a bounded activation size. A batch is also closed before a sentence that would
 * make more than {@code maxWaste} of the batch padding once the batch already holds a quarter of the
 * budget: one long sentence does not pad many short ones. Stateless.
 *
 * <pre>{@code
 * for (int[] range : EncoderBatches.plan(sortedLengths, 32, 1024, 0.2)) { run(range[0], range[1]); }
 * }</pre>
 */
final class EncoderBatches {
    private EncoderBatches() {}

    /**
     * @param sorted sentence lengths in ascending order
     * @param maxSentences most sentences per batch @param tokenBudget most padded tokens per batch
     * @param maxWaste largest share of padding accepted when a batch could be closed
     * @return {@code [start, end)} ranges over {@code sorted}, covering it in order
     */
    static List<int[]> plan(int[] sorted, int maxSentences, int tokenBudget, double maxWaste) {
        List<int[]> out = new ArrayList<>();
        int start = 0;
        while (start < sorted.length) {
            int end = start + 1;
            long sum = sorted[start];
            while (end < sorted.length && end - start < maxSentences) {
                int len = sorted[end];
                long n = end - start + 1L;
                if (n * len > tokenBudget) {
                    break;
                }
                double waste = 1 - (double) (sum + len) / (n * len);
                if (waste > maxWaste && (n - 1) * sorted[end - 1] >= tokenBudget / 4) {
                    break;
                }
                sum += len;
                end++;
            }
            out.add(new int[] {start, end});
            start = end;
        }
        return out;
    }

    /**
     * @param sorted lengths in ascending order @param batches ranges from {@link #plan}
     * @return the share of padded cells that are padding
     */
    static double paddingWaste(int[] sorted, List<int[]> batches) {
        long real = 0;
        long grid = 0;
        for (int[] b : batches) {
            for (int i = b[0]; i < b[1]; i++) {
                real += sorted[i];
            }
            grid += (long) sorted[b[1] - 1] * (b[1] - b[0]);
        }
        return grid == 0 ? 0 : 1 - (double) real / grid;
    }
}
