package org.sonarllm.onnx.runtime;

/**
 * The {@link Stepper} of decoder graphs that carry the cache from step to step as outputs ({@code
 * cache_index}, per-layer {@code present_*} = past rows gathered and the new position concatenated;
 * bundles converted before the in-place cache): log-probability rows are copied to Java and the
 * candidates selected here. Without the cache every step re-runs each row's whole sequence.
 */
final class ConcatCacheStepper implements Stepper {
    private final DecoderRunner runner;
    private final float[] crossAll;
    private final int crossWidth;
    private final boolean kv;
    private DecoderRunner.Cache cache;

    /**
     * @param runner the decoder @param crossAll {@code [sentences, layers*d]} cross terms
     * @param kv whether to use the KV cache
     */
    ConcatCacheStepper(DecoderRunner runner, float[] crossAll, boolean kv) {
        this.runner = runner;
        this.crossAll = crossAll;
        this.crossWidth = runner.layers * runner.dim;
        this.kv = kv;
    }

    private float[] crossRows(int[] sentences) {
        float[] c = new float[sentences.length * crossWidth];
        for (int i = 0; i < sentences.length; i++) {
            System.arraycopy(crossAll, sentences[i] * crossWidth, c, i * crossWidth, crossWidth);
        }
        return c;
    }

    @Override
    public StepResult prefill(int sentences, int lang, int k, boolean full) {
        int[] rows = new int[sentences];
        long[] ids = new long[sentences * 2];
        for (int i = 0; i < sentences; i++) {
            rows[i] = i;
            ids[i * 2] = org.sonarllm.tokenize.SonarTokenizer.EOS;
            ids[i * 2 + 1] = lang;
        }
        DecoderRunner.Step s = runner.step(ids, sentences, 2, crossRows(rows), null, null, kv, true);
        replace(s.cache());
        float[] prompt = new float[sentences];
        for (int i = 0; i < sentences; i++) {
            prompt[i] = s.logits()[s.offset(i, 0) + lang];
        }
        return result(s, k, full, prompt);
    }

    @Override
    public StepResult next(int[] parents, int[] sentences, int[][] seqs, int k, boolean full) {
        int n = parents.length;
        DecoderRunner.Step s;
        if (kv) {
            long[] ids = new long[n];
            long[] idx = new long[n];
            for (int i = 0; i < n; i++) {
                ids[i] = seqs[i][seqs[i].length - 1];
                idx[i] = parents[i];
            }
            s = runner.step(ids, n, 1, crossRows(sentences), idx, cache, true, true);
        } else {
            int len = seqs[0].length;
            long[] ids = new long[n * len];
            for (int i = 0; i < n; i++) {
                for (int t = 0; t < len; t++) {
                    ids[i * len + t] = seqs[i][t];
                }
            }
            s = runner.step(ids, n, len, crossRows(sentences), null, null, false, true);
        }
        replace(s.cache());
        return result(s, k, full, null);
    }

    /** Candidates of the newest position of every row, selected in Java from the copied log-probabilities. */
    private static StepResult result(DecoderRunner.Step s, int k, boolean full, float[] prompt) {
        int rows = s.rows();
        int vocab = s.logitsWidth();
        int[] offsets = new int[rows];
        float[] eos = new float[rows];
        for (int r = 0; r < rows; r++) {
            offsets[r] = s.offset(r, s.positions() - 1);
            eos[r] = s.logits()[offsets[r] + org.sonarllm.tokenize.SonarTokenizer.EOS];
        }
        int kk = Math.min(k, vocab);
        int[] ids = new int[rows * kk];
        float[] vals = new float[rows * kk];
        StepResult.topK(s.logits(), offsets, vocab, kk, ids, vals);
        float[] rowsFull = null;
        if (full && s.positions() == 1) {
            rowsFull = s.logits();
        } else if (full) {
            rowsFull = new float[rows * vocab];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(s.logits(), offsets[r], rowsFull, r * vocab, vocab);
            }
        }
        return new StepResult(rows, kk, ids, vals, eos, prompt, rowsFull, vocab);
    }

    private void replace(DecoderRunner.Cache c) {
        if (cache != null) {
            cache.close();
        }
        cache = c;
    }

    @Override
    public void close() {
        replace(null);
    }
}
