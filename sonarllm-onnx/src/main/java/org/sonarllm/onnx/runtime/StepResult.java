package org.sonarllm.onnx.runtime;

/**
 * What one decoder step hands the searches, for the newest position of each row: the {@code k} most
 * likely next tokens with their log-probabilities (best first; on equal values the lower id first), the
 * log-probability of {@code </s>}, on the prompt step the log-probability of the prompt's second token
 * (the language) after the first, and, when asked for (sampling), the whole log-probability row.
 * Immutable after construction; the arrays are owned by it.
 */
final class StepResult {
    final int rows;
    final int k;
    final int[] ids;
    final float[] logProbs;
    final float[] eos;
    final float[] prompt;
    final float[] full;
    final int vocab;

    /**
     * @param rows rows @param k candidates per row @param ids {@code [rows * k]} @param logProbs {@code [rows * k]}
     * @param eos {@code [rows]} @param prompt {@code [rows]} or null @param full {@code [rows * vocab]} or null
     * @param vocab vocabulary size
     */
    StepResult(int rows, int k, int[] ids, float[] logProbs, float[] eos, float[] prompt, float[] full, int vocab) {
        this.rows = rows;
        this.k = k;
        this.ids = ids;
        this.logProbs = logProbs;
        this.eos = eos;
        this.prompt = prompt;
        this.full = full;
        this.vocab = vocab;
    }

    /**
     * The {@code k} best tokens of rows of log-probabilities, best first, lower id first among equal values
     * (NaN never selected; a row of NaN yields NaN candidates so that the searches report it).
     *
     * @param lp log-probabilities @param offsets start of each row in {@code lp} @param vocab row length
     * @param k candidates per row @param ids out {@code [rows * k]} @param vals out {@code [rows * k]}
     */
    static void topK(float[] lp, int[] offsets, int vocab, int k, int[] ids, float[] vals) {
        for (int r = 0; r < offsets.length; r++) {
            int base = r * k;
            int filled = 0;
            int off = offsets[r];
            for (int v = 0; v < vocab; v++) {
                float x = lp[off + v];
                if (filled == k && !(x > vals[base + k - 1])) {
                    continue;
                }
                if (Float.isNaN(x)) {
                    continue;
                }
                int pos = filled == k ? k - 1 : filled++;
                while (pos > 0 && vals[base + pos - 1] < x) {
                    vals[base + pos] = vals[base + pos - 1];
                    ids[base + pos] = ids[base + pos - 1];
                    pos--;
                }
                vals[base + pos] = x;
                ids[base + pos] = v;
            }
            for (int j = filled; j < k; j++) {
                vals[base + j] = Float.NaN;
                ids[base + j] = 0;
            }
        }
    }
}
