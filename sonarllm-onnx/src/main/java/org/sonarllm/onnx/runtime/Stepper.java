package org.sonarllm.onnx.runtime;

import org.sonarllm.CancellationToken;

/**
 * Runs the decoder for one search over a batch of sentences: the prompt step, then one token per live
 * row per step, with the self-attention cache (or, for the benchmarks' baseline, re-running every row's
 * whole sequence). Rows are renumbered every step: row {@code i} of a step continues row {@code
 * parents[i]} of the previous one. Owns its cache; not thread-safe (one per search).
 */
interface Stepper extends AutoCloseable {
    /**
     * The prompt {@code [</s>, lang]} for every sentence; {@link StepResult#prompt} is log p(lang | </s>).
     *
     * @param sentences sentences (one row each) @param lang the language token
     * @param k candidates per row @param full whether to return whole log-probability rows
     * @return the candidates after the prompt
     */
    StepResult prefill(int sentences, int lang, int k, boolean full);

    /**
     * Extends each row by one token.
     *
     * @param parents for each new row, its row in the previous step
     * @param sentences for each new row, its sentence
     * @param seqs for each new row, its whole sequence (prompt + generated, newest token last), all of one length
     * @param k candidates per row @param full whether to return whole log-probability rows
     * @return the candidates after the new tokens
     */
    StepResult next(int[] parents, int[] sentences, int[][] seqs, int k, boolean full);

    /** Releases the cache (idempotent). */
    @Override
    void close();

    /**
     * @param s a stepper @param cancel checked before every step
     * @return {@code s}, throwing {@link org.sonarllm.CancelledException} before a step once {@code cancel} is
     *     set (the search's try-with-resources then releases the cache)
     */
    static Stepper checking(Stepper s, CancellationToken cancel) {
        if (cancel == CancellationToken.NONE) {
            return s;
        }
        return new Stepper() {
            @Override
            public StepResult prefill(int sentences, int lang, int k, boolean full) {
                cancel.throwIfCancelled("decoding");
                return s.prefill(sentences, lang, k, full);
            }

            @Override
            public StepResult next(int[] parents, int[] sentences, int[][] seqs, int k, boolean full) {
                cancel.throwIfCancelled("decoding");
                return s.next(parents, sentences, seqs, k, full);
            }

            @Override
            public void close() {
                s.close();
            }
        };
    }
}
