package org.sonarllm.decode;

import java.util.Objects;
import org.sonarllm.InvalidInputException;

/**
 * Search strategy, the token limit and optionally a lexicon for decoding one vector. Immutable.
 *
 * <pre>{@code
 * DecodingOptions.beam(5);                       // SONAR's default search
 * DecodingOptions.greedy().withMaxTokens(64);
 * DecodingOptions.sampling(0.7, 0, 0.9, 1234L);
 * DecodingOptions.beam(5).withLexicon(Lexicon.read(Path.of("lexicon.txt")));   // real words only
 * }</pre>
 *
 * <p>With a lexicon, every search keeps to tokens that leave each word of the sentence in the lexicon (or on the
 * way to one of its words): beam search ranks the allowed candidates by the model's own log-probabilities,
 * greedy takes the most probable allowed token, sampling draws among the allowed ones (renormalised). The
 * sentence's score is still the model's log-probability of the tokens chosen. {@code </s>} is allowed only after
 * a complete word, except when the token limit forces it (the last word may then be cut, as without a lexicon).
 * The search then reads each row's best 64 (or 4 x the candidates it needs) tokens and, when too few of them are
 * allowed, the whole row, which costs memory and time with a large vocabulary.
 *
 * @param strategy greedy, beam or sampling
 * @param maxTokens most tokens generated per sentence, the final {@code </s>} included; 1 to {@value
 *     #MAX_TOKENS} (the model's position limit also applies)
 * @param lexicon the words the decoder may write, or null for any
 */
public record DecodingOptions(DecodingStrategy strategy, int maxTokens, Lexicon lexicon) {
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

    /**
     * Options without a lexicon.
     *
     * @param strategy greedy, beam or sampling
     * @param maxTokens most tokens per sentence
     */
    public DecodingOptions(DecodingStrategy strategy, int maxTokens) {
        this(strategy, maxTokens, null);
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
        return new DecodingOptions(strategy, n, lexicon);
    }

    /**
     * @param words the words the decoder may write, or null for any
     * @return a copy with that lexicon
     */
    public DecodingOptions withLexicon(Lexicon words) {
        return new DecodingOptions(strategy, maxTokens, words);
    }
}
