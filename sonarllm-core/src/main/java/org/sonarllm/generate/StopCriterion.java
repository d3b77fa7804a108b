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

    /** The paper's end-of-sequence threshold. */
    double DEFAULT_EOS_THRESHOLD = 0.98;
    /** The paper's sentence limit. */
    int DEFAULT_MAX_SENTENCES = 32;

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
        if (!(threshold >= -1 && threshold <= 1)) {
            throw new InvalidInputException("cosine threshold must be in [-1, 1], got " + threshold);
        }
        return step -> step.eosCosine() >= threshold ? StopDecision.stopAndDrop(EOS) : StopDecision.CONTINUE;
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

    /** @return the paper's default: EOS cosine >= 0.98, or 32 generated sentences */
    static StopCriterion paperDefault() {
        return eosCosineAtLeast(DEFAULT_EOS_THRESHOLD).or(maxSentences(DEFAULT_MAX_SENTENCES));
    }
}
