package org.sonarllm.decode;

import org.sonarllm.InvalidInputException;

/**
 * How the decoder picks tokens: {@link Greedy}, {@link Beam} or {@link Sampling}.
 *
 * <pre>{@code
 * DecodingStrategy s = new DecodingStrategy.Sampling(0.8, 50, 0.95, 42L);
 * }</pre>
 */
public sealed interface DecodingStrategy {
    /** Always the most probable next token. */
    record Greedy() implements DecodingStrategy {}

    /**
     * fairseq2-style beam search as SONAR runs it: the language token is scored (prefilled), each
     * hypothesis is ranked by its summed log-probability divided by {@code (scoredTokens)^lengthPenalty}.
     *
     * @param size beams kept per step, 1 to {@value #MAX_SIZE} (SONAR's default is 5)
     * @param lengthPenalty exponent of the length normalisation (fairseq2's default 1.0)
     */
    record Beam(int size, double lengthPenalty) implements DecodingStrategy {
        /** Largest accepted beam (the work per token grows with beam x vocabulary). */
        public static final int MAX_SIZE = 64;

        /** Validates the arguments. */
        public Beam {
            if (size < 1 || size > MAX_SIZE) {
                throw new InvalidInputException("expected a beam size in 1.." + MAX_SIZE + ", found " + size);
            }
            if (!Double.isFinite(lengthPenalty)) {
                throw new InvalidInputException("length penalty must be finite, got " + lengthPenalty);
            }
        }
    }

    /**
     * Random sampling with temperature, top-k and nucleus (top-p) filtering, reproducible by seed.
     *
     * @param temperature > 0; 1 samples the model's distribution
     * @param topK keep the k most probable tokens, 0 to {@value #MAX_TOP_K}; 0 disables
     * @param topP keep the smallest set with cumulative probability >= p, in (0, 1]; 1 disables
     * @param seed the random seed: the same seed, vector and options give the same text
     */
    record Sampling(double temperature, int topK, double topP, long seed) implements DecodingStrategy {
        /** Largest accepted top-k (above any SONAR vocabulary: 0 or the vocabulary size disable it alike). */
        public static final int MAX_TOP_K = 1 << 20;

        /** Validates the arguments. */
        public Sampling {
            if (!(temperature > 0) || !Double.isFinite(temperature)) {
                throw new InvalidInputException("temperature must be > 0, got " + temperature);
            }
            if (topK < 0 || topK > MAX_TOP_K) {
                throw new InvalidInputException("expected top-k in 0.." + MAX_TOP_K + " (0 disables), found " + topK);
            }
            if (!(topP > 0 && topP <= 1)) {
                throw new InvalidInputException("top-p must be in (0, 1], got " + topP);
            }
        }
    }
}
