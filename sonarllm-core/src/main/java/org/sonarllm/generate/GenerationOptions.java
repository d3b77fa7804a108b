package org.sonarllm.generate;

import java.time.Duration;
import java.util.Objects;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;

/**
 * Everything that steers one generation. Immutable; build with {@link #builder()}, or start from a
 * model's defaults with {@code generator.defaultOptions().toBuilder()}.
 *
 * <pre>{@code
 * GenerationOptions o = GenerationOptions.builder()
 *         .inputLanguage(Language.ENGLISH)
 *         .outputLanguage(Language.of("fra_Latn"))   // continue in French
 *         .decoding(DecodingOptions.beam(5).withMaxTokens(64))
 *         .stopCriterion(StopRules.paper().withMaxSentences(8)
 *                 .withRepetition(StopRules.RepetitionAction.DROP_AND_STOP, 0.9))
 *         .sentenceSampling(SentenceSampling.bestOf(4, 1.0, 42L))
 *         .timeout(Duration.ofSeconds(10))
 *         .build();
 * }</pre>
 *
 * @param inputLanguage the prompt's language (segmentation and encoding)
 * @param outputLanguage the language generated sentences are decoded into
 * @param decoding search strategy and token limit per sentence (default beam 5)
 * @param stopCriterion when to stop (default {@link StopRules#paper()})
 * @param feedback what is fed back to the concept LM (default {@link FeedbackMode#REENCODE})
 * @param contextLimit most sentences (prompt + generated, and the begin sentence) the concept LM
 *     sees; 0 means the model's own limit
 * @param contextPolicy what to do with a prompt that does not fit
 * @param addBegin whether the concept LM's sequence starts with {@value #BEGIN_TEXT} (English) before
 *     the prompt, as SONAR-LLM models trained with {@code add_begin} expect; the sentence is not part of
 *     {@link GenerationResult#prompt()} (default false; a bundle's concept LM may default it to true)
 * @param sentenceSampling noise on the predicted vectors and best-of-n (default {@link SentenceSampling#OFF})
 * @param timeout wall-clock budget of one call ({@code generate} or {@code generateAll}), checked between
 *     decoder tokens: when it runs out, every unfinished prompt ends with reason {@value
 *     SonarLlmGenerator#DEADLINE} and the sentences kept so far; {@link Duration#ZERO} (default) for none
 */
public record GenerationOptions(
        Language inputLanguage,
        Language outputLanguage,
        DecodingOptions decoding,
        StopCriterion stopCriterion,
        FeedbackMode feedback,
        int contextLimit,
        ContextPolicy contextPolicy,
        boolean addBegin,
        SentenceSampling sentenceSampling,
        Duration timeout) {

    /** The sentence SONAR-LLM's {@code add_begin} puts before the prompt. */
    public static final String BEGIN_TEXT = "Begin of text.";

    private static final GenerationOptions DEFAULTS = builder().build();

    /** Validates the arguments. */
    public GenerationOptions {
        Objects.requireNonNull(inputLanguage, "inputLanguage");
        Objects.requireNonNull(outputLanguage, "outputLanguage");
        Objects.requireNonNull(decoding, "decoding");
        Objects.requireNonNull(stopCriterion, "stopCriterion");
        Objects.requireNonNull(feedback, "feedback");
        Objects.requireNonNull(contextPolicy, "contextPolicy");
        Objects.requireNonNull(sentenceSampling, "sentenceSampling");
        Objects.requireNonNull(timeout, "timeout");
        if (contextLimit < 0) {
            throw new InvalidInputException("context limit must be >= 0 (0 = the model's), got " + contextLimit);
        }
        if (timeout.isNegative()) {
            throw new InvalidInputException("expected a timeout >= 0 (0 = none), found " + timeout);
        }
    }

    /**
     * @return English in and out, beam 5, {@link StopRules#paper()}, re-encoding feed-back, no begin
     *     sentence, no sentence sampling, no timeout (a model's own defaults: {@link Generator#defaultOptions()})
     */
    public static GenerationOptions defaults() {
        return DEFAULTS;
    }

    /** @return a builder initialised with {@link #defaults()} */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder initialised with these options */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.inputLanguage = inputLanguage;
        b.outputLanguage = outputLanguage;
        b.decoding = decoding;
        b.stopCriterion = stopCriterion;
        b.feedback = feedback;
        b.contextLimit = contextLimit;
        b.contextPolicy = contextPolicy;
        b.addBegin = addBegin;
        b.sentenceSampling = sentenceSampling;
        b.timeout = timeout;
        return b;
    }

    /** Builder for {@link GenerationOptions}; every setting is optional. */
    public static final class Builder {
        private Language inputLanguage = Language.ENGLISH;
        private Language outputLanguage;
        private DecodingOptions decoding = DecodingOptions.beam(5);
        private StopCriterion stopCriterion = StopRules.paper();
        private FeedbackMode feedback = FeedbackMode.REENCODE;
        private int contextLimit = 0;
        private ContextPolicy contextPolicy = ContextPolicy.FAIL;
        private boolean addBegin;
        private SentenceSampling sentenceSampling = SentenceSampling.OFF;
        private Duration timeout = Duration.ZERO;

        private Builder() {}

        /** @param l the prompt's language @return this */
        public Builder inputLanguage(Language l) {
            this.inputLanguage = l;
            return this;
        }

        /** @param l the output language (defaults to the input language) @return this */
        public Builder outputLanguage(Language l) {
            this.outputLanguage = l;
            return this;
        }

        /** @param d decoding options @return this */
        public Builder decoding(DecodingOptions d) {
            this.decoding = d;
            return this;
        }

        /** @param c the stop criterion @return this */
        public Builder stopCriterion(StopCriterion c) {
            this.stopCriterion = c;
            return this;
        }

        /** @param f the feed-back mode @return this */
        public Builder feedback(FeedbackMode f) {
            this.feedback = f;
            return this;
        }

        /** @param n most sentences in context; 0 = the model's limit @return this */
        public Builder contextLimit(int n) {
            this.contextLimit = n;
            return this;
        }

        /** @param p the policy for prompts that do not fit @return this */
        public Builder contextPolicy(ContextPolicy p) {
            this.contextPolicy = p;
            return this;
        }

        /** @param on whether {@value GenerationOptions#BEGIN_TEXT} starts the sequence @return this */
        public Builder addBegin(boolean on) {
            this.addBegin = on;
            return this;
        }

        /** @param s sentence-level sampling @return this */
        public Builder sentenceSampling(SentenceSampling s) {
            this.sentenceSampling = s;
            return this;
        }

        /** @param t wall-clock budget per call; {@link Duration#ZERO} for none @return this */
        public Builder timeout(Duration t) {
            this.timeout = t;
            return this;
        }

        /** @return the options */
        public GenerationOptions build() {
            return new GenerationOptions(inputLanguage, outputLanguage == null ? inputLanguage : outputLanguage,
                    decoding, stopCriterion, feedback, contextLimit, contextPolicy, addBegin, sentenceSampling, timeout);
        }
    }
}
