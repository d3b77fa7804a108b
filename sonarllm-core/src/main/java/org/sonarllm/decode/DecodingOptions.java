package org.sonarllm.decode;

import java.util.Objects;
import org.sonarllm.InvalidInputException;

/**
 * Search strategy plus the token limit for decoding one vector. Immutable.
 *
 * <pre>{@code
 * DecodingOptions.beam(5);                       // SONAR's default search
 * DecodingOptions.greedy().withMaxTokens(64);
 * DecodingOptions.sampling(0.7, 0, 0.9, 1234L);
 * }</pre>
 *
 * @param strategy greedy, beam or sampling
 * @param maxTokens most tokens generated per sentence, the final {@code </s>} included; 1 to {@value
 *     #MAX_TOKENS} (the model's position limit also applies)
 */
public record DecodingOptions(DecodingStrategy strategy, int maxTokens) {
    /** Default token limit per sentence. */
    public static final int DEFAULT_MAX_TOKENS = 128;
    /** Largest accepted token limit. */
    public static final int MAX_TOKENS = 4096;

    /** Validates the arguments. */
    public DecodingOptions {
        Objects.requireNonNull(strategy, "strategy");
        if (maxTokens < 1 || maxTokens > MAX_TOKENS) {
            throw new InvalidInputException("expected max tokens in 1.." + MAX_TOKENS + ", found " + maxTokens);
        }
    }

    /** @return greedy search, {@value #DEFAULT_MAX_TOKENS} tokens at most */
    public static DecodingOptions greedy() {
        return new DecodingOptions(new DecodingStrategy.Greedy(), DEFAULT_MAX_TOKENS);
    }

    /**
     * @param size the beam size
     * @return beam search with length penalty 1 (SONAR's default)
     */
    public static DecodingOptions beam(int size) {
        return new DecodingOptions(new DecodingStrategy.Beam(size, 1.0), DEFAULT_MAX_TOKENS);
    }

    /**
     * @param temperature > 0
     * @param topK 0 disables
     * @param topP 1 disables
     * @param seed the random seed
     * @return sampling options
     */
    public static DecodingOptions sampling(double temperature, int topK, double topP, long seed) {
        return new DecodingOptions(new DecodingStrategy.Sampling(temperature, topK, topP, seed), DEFAULT_MAX_TOKENS);
    }

    /**
     * @param n the new token limit
     * @return a copy with that limit
     */
    public DecodingOptions withMaxTokens(int n) {
        return new DecodingOptions(strategy, n);
    }
}
