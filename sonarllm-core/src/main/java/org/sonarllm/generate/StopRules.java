package org.sonarllm.generate;

import java.util.Objects;
import org.sonarllm.InvalidInputException;

/**
 * The built-in stop criteria as one value: an end-of-sequence test, a repetition stop, a minimum
 * and a maximum number of generated sentences. It is a {@link StopCriterion} (so it composes with
 * {@link #or}), and a bundle can give its own values as the model's defaults (see {@link
 * ModelDefaults}). Immutable; change it with the {@code with...} methods.
 *
 * <p>Each step asks, in order: the end-of-sequence test (stop, drop the sentence, reason {@value
 * StopCriterion#EOS}); the repetition stop (reason {@value StopCriterion#REPETITION}: a verbatim repeat,
 * a cosine of at least {@code repetitionThreshold} or, when {@code repetitionOverlap} is below 1, more
 * than that share of word pairs shared with an earlier generated sentence); both
 * only once they would leave at least {@code minSentences} sentences ({@link
 * StopCriterion#notBefore(int)}); then the sentence limit (stop, keep the sentence, reason {@value
 * StopCriterion#MAX_SENTENCES}), which always applies.
 *
 * <pre>{@code
 * StopRules rules = StopRules.paper()                                    // re-encoded EOS >= 0.98, 32 sentences
 *         .withRepetition(RepetitionAction.DROP_AND_STOP, 0.9)
 *         .withRepetitionOverlap(0.5)                                    // near-repeats too
 *         .withMinSentences(2);
 * GenerationOptions.builder().stopCriterion(rules).build();
 * StopRules lcm = StopRules.paper().withEos(EosTest.PREDICTED, StopCriterion.LCM_EOS_THRESHOLD);
 * }</pre>
 *
 * @param eosTest which vector is compared with the end-of-sequence vector, or {@link EosTest#OFF}
 * @param eosThreshold the cosine at which the end-of-sequence test stops, in [-1, 1]
 * @param repetition what a repetition does, or {@link RepetitionAction#OFF}
 * @param repetitionThreshold the cosine with an earlier sentence that counts as a repetition, in [-1,
 *     1] (a verbatim repeat always counts)
 * @param repetitionOverlap the share of the sentence's word pairs found in one earlier sentence above
 *     which it counts as a repetition, in [0, 1]; {@value StopCriterion#NO_OVERLAP_TEST} (the default)
 *     turns this test off ({@link StopCriterion#repetition(double, double, boolean)})
 * @param minSentences at least 0 and at most {@code maxSentences}
 * @param maxSentences at least 1
 */
public record StopRules(EosTest eosTest, double eosThreshold, RepetitionAction repetition, double repetitionThreshold,
        double repetitionOverlap, int minSentences, int maxSentences) implements StopCriterion {

    /**
     * Which vector the end-of-sequence test compares with the end-of-sequence vector.
     *
     * <pre>{@code
     * StopRules.paper().withEos(StopRules.EosTest.PREDICTED, 0.9);   // LCM's rule
     * }</pre>
     */
    public enum EosTest {
        /** The fed-back vector: the re-encoded sentence (SONAR-LLM's rule; the prediction in {@link FeedbackMode#PREDICTED_EMBEDDING}). */
        REENCODED,
        /** The concept LM's predicted vector (LCM's rule). */
        PREDICTED,
        /** No end-of-sequence test. */
        OFF
    }

    /**
     * What a repetition does.
     *
     * <pre>{@code
     * StopRules.paper().withRepetition(StopRules.RepetitionAction.DROP_AND_STOP, 0.9);
     * }</pre>
     */
    public enum RepetitionAction {
        /** No repetition stop. */
        OFF,
        /** Keep the repeating sentence, then stop. */
        KEEP_AND_STOP,
        /** Drop the repeating sentence and stop. */
        DROP_AND_STOP
    }

    /** Validates the arguments. */
    public StopRules {
        Objects.requireNonNull(eosTest, "eosTest");
        Objects.requireNonNull(repetition, "repetition");
        if (!(eosThreshold >= -1 && eosThreshold <= 1)) {
            throw new InvalidInputException("cosine threshold must be in [-1, 1], got " + eosThreshold);
        }
        if (!(repetitionThreshold >= -1 && repetitionThreshold <= 1)) {
            throw new InvalidInputException("repetition cosine threshold must be in [-1, 1], got " + repetitionThreshold);
        }
        WordPairs.checkOverlap(repetitionOverlap);
        if (maxSentences < 1) {
            throw new InvalidInputException("expected a sentence limit >= 1, found " + maxSentences);
        }
        if (minSentences < 0 || minSentences > maxSentences) {
            throw new InvalidInputException("expected a minimum sentence count in 0.." + maxSentences
                    + " (the sentence limit), found " + minSentences);
        }
    }

    /**
     * Rules without the word-pair test ({@code repetitionOverlap} {@value StopCriterion#NO_OVERLAP_TEST}).
     *
     * @param eosTest which vector is compared with the end-of-sequence vector
     * @param eosThreshold in [-1, 1]
     * @param repetition what a repetition does
     * @param repetitionThreshold cosine in [-1, 1]
     * @param minSentences 0..maxSentences
     * @param maxSentences at least 1
     */
    public StopRules(EosTest eosTest, double eosThreshold, RepetitionAction repetition, double repetitionThreshold,
            int minSentences, int maxSentences) {
        this(eosTest, eosThreshold, repetition, repetitionThreshold, NO_OVERLAP_TEST, minSentences, maxSentences);
    }

    /** The repetition threshold used when none is given (measured on the default model, docs/generation.md). */
    public static final double DEFAULT_REPETITION_THRESHOLD = 0.9;

    /** @return SONAR-LLM's rules: re-encoded EOS cosine >= 0.98, 32 sentences, no repetition stop, no minimum */
    public static StopRules paper() {
        return new StopRules(EosTest.REENCODED, DEFAULT_EOS_THRESHOLD, RepetitionAction.OFF,
                DEFAULT_REPETITION_THRESHOLD, 0, DEFAULT_MAX_SENTENCES);
    }

    /** @param test the vector to test @param threshold in [-1, 1] @return a copy with that end-of-sequence test */
    public StopRules withEos(EosTest test, double threshold) {
        return new StopRules(test, threshold, repetition, repetitionThreshold, repetitionOverlap, minSentences, maxSentences);
    }

    /**
     * @param action what a repetition does @param threshold cosine in [-1, 1]
     * @return a copy with that repetition stop (the word-pair overlap unchanged)
     */
    public StopRules withRepetition(RepetitionAction action, double threshold) {
        return new StopRules(eosTest, eosThreshold, action, threshold, repetitionOverlap, minSentences, maxSentences);
    }

    /**
     * @param overlap share of word pairs in [0, 1]; {@value StopCriterion#NO_OVERLAP_TEST} turns the test off
     * @return a copy whose repetition stop also catches near-repeats (it acts only when {@link #repetition()} is not OFF)
     */
    public StopRules withRepetitionOverlap(double overlap) {
        return new StopRules(eosTest, eosThreshold, repetition, repetitionThreshold, overlap, minSentences, maxSentences);
    }

    /** @param n 0..maxSentences @return a copy with that minimum */
    public StopRules withMinSentences(int n) {
        return new StopRules(eosTest, eosThreshold, repetition, repetitionThreshold, repetitionOverlap, n, maxSentences);
    }

    /** @param n at least 1 (and at least the minimum) @return a copy with that limit */
    public StopRules withMaxSentences(int n) {
        return new StopRules(eosTest, eosThreshold, repetition, repetitionThreshold, repetitionOverlap, minSentences, n);
    }

    @Override
    public StopDecision check(GenerationStep step) {
        StopCriterion soft = s -> StopDecision.CONTINUE;
        if (eosTest == EosTest.REENCODED) {
            soft = StopCriterion.eosCosineAtLeast(eosThreshold);
        } else if (eosTest == EosTest.PREDICTED) {
            soft = StopCriterion.predictedEosCosineAtLeast(eosThreshold);
        }
        if (repetition != RepetitionAction.OFF) {
            soft = soft.or(StopCriterion.repetition(repetitionThreshold, repetitionOverlap,
                    repetition == RepetitionAction.KEEP_AND_STOP));
        }
        return soft.notBefore(minSentences).or(StopCriterion.maxSentences(maxSentences)).check(step);
    }
}
