package org.sonarllm.onnx.runtime;

import org.sonarllm.CancellationToken;

/**
 * Drives decoder steps for one search over a batch of sentences, with the KV cache (one new token
 * per row per step) or without it (the whole sequence re-run every step; benchmark baseline). Checks
 * the search's {@link CancellationToken} before every step, so a cancelled decoding stops between two
 * tokens (the search's try-with-resources then releases the cache). Owns the current cache; not
 * thread-safe (one per search).
 */
final class StepDriver implements AutoCloseable {
    private final DecoderRunner runner;
    private final float[] crossAll;
    private final int crossWidth;
    private final boolean kv;
    private final CancellationToken cancel;
    private DecoderRunner.Cache cache;

    /**
     * @param runner the decoder @param crossAll {@code [sentences, layers*d]} cross terms
     * @param kv whether to use the KV cache
     * @param cancel checked before every step
     */
    StepDriver(DecoderRunner runner, float[] crossAll, boolean kv, CancellationToken cancel) {
        this.runner = runner;
        this.crossAll = crossAll;
        this.crossWidth = runner.layers * runner.dim;
        this.kv = kv;
        this.cancel = cancel;
    }

    private float[] crossRows(int[] sentences) {
        float[] c = new float[sentences.length * crossWidth];
        for (int i = 0; i < sentences.length; i++) {
            System.arraycopy(crossAll, sentences[i] * crossWidth, c, i * crossWidth, crossWidth);
        }
        return c;
    }

    /**
     * Runs the same prompt for every sentence.
     *
     * @param sentences number of sentences @param prompt the prompt ids
     * @return logits {@code [sentences, prompt.length, vocab]}
     */
    DecoderRunner.Step prefill(int sentences, int[] prompt) {
        cancel.throwIfCancelled("decoding");
        int[] rows = new int[sentences];
        long[] ids = new long[sentences * prompt.length];
        for (int i = 0; i < sentences; i++) {
            rows[i] = i;
            for (int t = 0; t < prompt.length; t++) {
                ids[i * prompt.length + t] = prompt[t];
            }
        }
        DecoderRunner.Step s = runner.step(ids, sentences, prompt.length, crossRows(rows), null, null, kv, true);
        replace(s.cache());
        return s;
    }

    /**
     * Extends each row by one token.
     *
     * @param parents for each new row, its row in the previous step
     * @param sentences for each new row, its sentence
     * @param seqs for each new row, the full sequence (prompt + generated, newest token last); all the
     *     same length
     * @return logits; read the newest position with {@link #last}
     */
    DecoderRunner.Step next(int[] parents, int[] sentences, int[][] seqs) {
        cancel.throwIfCancelled("decoding");
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
        return s;
    }

    /** @param s a step @param row a row @return offset of the row's newest logits */
    static int last(DecoderRunner.Step s, int row) {
        return s.offset(row, s.positions() - 1);
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
