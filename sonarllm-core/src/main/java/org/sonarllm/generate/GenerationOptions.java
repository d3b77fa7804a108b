package org.sonarllm.generate;

import java.util.Objects;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;

/**
 * Everything that steers one generation. Immutable; build with {@link #builder()}.
 *
 * <pre>{@code
 * GenerationOptions o = GenerationOptions.builder()
 *         .inputLanguage(Language.ENGLISH)
 *         .outputLanguage(Language.of("fra_Latn"))   // continue in French
 *         .decoding(DecodingOptions.beam(5).withMaxTokens(64))
 *         .stopCriterion(StopCriterion.eosCosineAtLeast(0.98).or(StopCriterion.maxSentences(8)))
 *         .feedback(FeedbackMode.REENCODE)
 *         .build();
 * }</pre>
 *
 * @param inputLanguage the prompt's language (segmentation and encoding)
 * @param outputLanguage the language generated sentences are decoded into
 * @param decoding search strategy and token limit per sentence (default beam 5)
 * @param stopCriterion when to stop (default {@link StopCriterion#paperDefault()})
 * @param feedback what is fed back to the concept LM (default {@link FeedbackMode#REENCODE})
 * @param contextLimit most sentences (prompt + generated) the concept LM sees; 0 means the model's
 *     own limit
 * @param contextPolicy what to do with a prompt that does not fit
 */
public record GenerationOptions(
        Language inputLanguage,
        Language outputLanguage,
        DecodingOptions decoding,
        StopCriterion stopCriterion,
        FeedbackMode feedback,
        int contextLimit,
        ContextPolicy contextPolicy) {

    private static final GenerationOptions DEFAULTS = builder().build();

    /** Validates the arguments. */
    public GenerationOptions {
        Objects.requireNonNull(inputLanguage, "inputLanguage");
        Objects.requireNonNull(outputLanguage, "outputLanguage");
        Objects.requireNonNull(decoding, "decoding");
        Objects.requireNonNull(stopCriterion, "stopCriterion");
        Objects.requireNonNull(feedback, "feedback");
        Objects.requireNonNull(contextPolicy, "contextPolicy");
        if (contextLimit < 0) {
            throw new InvalidInputException("context limit must be >= 0 (0 = the model's), got " + contextLimit);
        }
    }

    /** @return English in and out, beam 5, the paper's stop criteria, re-encoding feed-back */
    public static GenerationOptions defaults() {
        return DEFAULTS;
    }

    /** @return a builder initialised with the defaults */
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
        return b;
    }

    /** Builder for {@link GenerationOptions}; every setting is optional. */
    public static final class Builder {
        private Language inputLanguage = Language.ENGLISH;
        private Language outputLanguage;
        private DecodingOptions decoding = DecodingOptions.beam(5);
        private StopCriterion stopCriterion = StopCriterion.paperDefault();
        private FeedbackMode feedback = FeedbackMode.REENCODE;
        private int contextLimit = 0;
        private ContextPolicy contextPolicy = ContextPolicy.FAIL;

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

        /** @return the options */
        public GenerationOptions build() {
            return new GenerationOptions(inputLanguage, outputLanguage == null ? inputLanguage : outputLanguage,
                    decoding, stopCriterion, feedback, contextLimit, contextPolicy);
        }
    }
}
