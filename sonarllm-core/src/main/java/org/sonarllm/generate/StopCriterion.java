package org.sonarllm.generate;

import java.util.List;
import org.sonarllm.InvalidInputException;

/**
 * Decides, after each generated sentence, whether generation ends. Criteria compose with {@link
 * #or(StopCriterion)} and {@link #anyOf(StopCriterion...)}; the first one that stops wins.
 *
 * <pre>{@code
 * StopCriterion c = StopCriterion.eosCosineAtLeast(0.95)
 *         .or(StopCriterion.maxSentences(10))
 *         .or(step -> step.text().endsWith("THE END.") ? StopDecision.stopAndKeep("the_end")
 *                                                       : StopDecision.CONTINUE);
 * }</pre>
 *
 * <p>Implementations must be thread-safe (stateless is easiest): one criterion serves concurrent
 * generations.
 */
@FunctionalInterface
public interface StopCriterion {
    /** Reason given by {@link #eosCosineAtLeast(double)}. */
    String EOS = "eos";
    /** Reason given by {@link #maxSentences(int)}. */
    String MAX_SENTENCES = "max_sentences";
    /** Reason given by {@link #repetition(double, boolean)}. */
    String REPETITION = "repetition";

    /** The paper's end-of-sequence threshold. */
    double DEFAULT_EOS_THRESHOLD = 0.98;
    /** The paper's sentence limit. */
    int DEFAULT_MAX_SENTENCES = 32;
    /** The word-pair overlap of {@link #repetition(double, double, boolean)} that turns its word-pair test off. */
    double NO_OVERLAP_TEST = 1.0;
    /** LCM's end-of-sequence threshold, applied to the predicted vector ({@link #predictedEosCosineAtLeast}). */
    double LCM_EOS_THRESHOLD = 0.9;

    /**
     * @param step the candidate sentence and its details
     * @return {@link StopDecision#CONTINUE} or a stop
     */
    StopDecision check(GenerationStep step);

    /**
     * @param other another criterion
     * @return a criterion that stops when this one or {@code other} does (this one is asked first)
     */
    default StopCriterion or(StopCriterion other) {
        return anyOf(this, other);
    }

    /**
     * Ignores this criterion's stops while they would leave fewer than {@code n} generated sentences
     * (LCM's {@code min_gen_len}): a stop that keeps its sentence needs {@code n - 1} earlier ones, a
     * stop that drops it needs {@code n}. A suppressed stop lets the sentence be kept and generation
     * go on. Put hard limits such as {@link #maxSentences(int)} outside: {@code
     * eosCosineAtLeast(0.98).notBefore(3).or(maxSentences(32))}.
     *
     * @param n at least 0 (0 changes nothing)
     * @return the criterion
     */
    default StopCriterion notBefore(int n) {
        if (n < 0) {
            throw new InvalidInputException("minimum sentence count must be >= 0, got " + n);
        }
        StopCriterion self = this;
        return step -> {
            StopDecision d = self.check(step);
            if (d.stop() && step.history().size() + (d.keepSentence() ? 1 : 0) < n) {
                return StopDecision.CONTINUE;
            }
            return d;
        };
    }

    /**
     * @param criteria criteria asked in order
     * @return a criterion that stops with the first criterion that stops
     */
    static StopCriterion anyOf(StopCriterion... criteria) {
        List<StopCriterion> list = List.of(criteria);
        return step -> {
            for (StopCriterion c : list) {
                StopDecision d = c.check(step);
                if (d.stop()) {
                    return d;
                }
            }
            return StopDecision.CONTINUE;
        };
    }

    /**
     * Stops when the fed-back vector's cosine with the end-of-sequence vector (the bundle's {@code
     * eosEmbedding}) reaches {@code threshold}; the sentence is dropped (it is the end marker, not content), as in SONAR-LLM.
     *
     * @param threshold in [-1, 1]
     * @return the criterion
     */
    static StopCriterion eosCosineAtLeast(double threshold) {
        checkCosine(threshold);
        return step -> step.eosCosine() >= threshold ? StopDecision.stopAndDrop(EOS) : StopDecision.CONTINUE;
    }

    /**
     * Stops when the predicted vector's cosine with the end-of-sequence vector reaches {@code threshold}
     * (LCM's rule, {@value #LCM_EOS_THRESHOLD} there); the sentence is dropped. Unlike {@link
     * #eosCosineAtLeast(double)} it needs no re-encoding to decide.
     *
     * @param threshold in [-1, 1]
     * @return the criterion
     */
    static StopCriterion predictedEosCosineAtLeast(double threshold) {
        checkCosine(threshold);
        return step -> step.predictedEosCosine() >= threshold ? StopDecision.stopAndDrop(EOS) : StopDecision.CONTINUE;
    }

    /**
     * Stops when the new sentence repeats an earlier generated one: the same text (ignoring
     * surrounding white space), or a fed-back vector whose cosine with an earlier sentence's reaches
     * {@code threshold} (see {@link GenerationStep#historyCosines()}).
     *
     * @param threshold in [-1, 1]
     * @param keepSentence whether the repeating sentence is kept (stop) or dropped (drop and stop)
     * @return the criterion, with reason {@value #REPETITION}
     */
    static StopCriterion repetition(double threshold, boolean keepSentence) {
        return repetition(threshold, NO_OVERLAP_TEST, keepSentence);
    }

    /**
     * {@link #repetition(double, boolean)} with a word-pair test as well: it also stops when more than
     * {@code overlap} of the new sentence's adjacent word pairs occur in one earlier generated sentence
     * ({@link GenerationStep#maxHistoryOverlap()}, {@link WordPairs}): a near-repeat that changes a few words.
     *
     * <pre>{@code
     * StopCriterion.repetition(0.9, 0.5, false);   // cosine >= 0.9, or more than half the word pairs shared
     * }</pre>
     *
     * @param threshold cosine in [-1, 1]
     * @param overlap share of word pairs in [0, 1]; the test is strict, so {@value #NO_OVERLAP_TEST} never stops
     * @param keepSentence whether the repeating sentence is kept (stop) or dropped (drop and stop)
     * @return the criterion, with reason {@value #REPETITION}
     */
    static StopCriterion repetition(double threshold, double overlap, boolean keepSentence) {
        checkCosine(threshold);
        WordPairs.checkOverlap(overlap);
        StopDecision stop = keepSentence ? StopDecision.stopAndKeep(REPETITION) : StopDecision.stopAndDrop(REPETITION);
        return step -> step.repeatsVerbatim() || step.maxHistoryCosine() >= threshold
                || overlap < NO_OVERLAP_TEST && step.maxHistoryOverlap() > overlap ? stop : StopDecision.CONTINUE;
    }

    private static void checkCosine(double threshold) {
        if (!(threshold >= -1 && threshold <= 1)) {
            throw new InvalidInputException("cosine threshold must be in [-1, 1], got " + threshold);
        }
    }

    /**
     * Stops after {@code n} generated sentences; the n-th is kept.
     *
     * @param n at least 1
     * @return the criterion
     */
    static StopCriterion maxSentences(int n) {
        if (n < 1) {
            throw new InvalidInputException("sentence limit must be >= 1, got " + n);
        }
        return step -> step.index() + 1 >= n ? StopDecision.stopAndKeep(MAX_SENTENCES) : StopDecision.CONTINUE;
    }

    /** @return the paper's default, {@link StopRules#paper()}: EOS cosine >= 0.98, or 32 generated sentences */
    static StopRules paperDefault() {
        return StopRules.paper();
    }
}
