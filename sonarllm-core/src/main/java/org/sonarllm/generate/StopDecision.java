package org.sonarllm.generate;

import java.util.Objects;

/**
 * A stop criterion's verdict on one step.
 *
 * <pre>{@code
 * StopCriterion tooLong = step -> step.text().length() > 200
 *         ? StopDecision.stopAndDrop("too long") : StopDecision.CONTINUE;
 * }</pre>
 *
 * @param stop whether generation ends at this step
 * @param keepSentence when stopping, whether this step's sentence is kept in the output
 * @param reason a short machine-readable reason (e.g. {@code "eos"}, {@code "max_sentences"})
 */
public record StopDecision(boolean stop, boolean keepSentence, String reason) {
    /** Go on generating. */
    public static final StopDecision CONTINUE = new StopDecision(false, true, "");

    /** Validates the reason. */
    public StopDecision {
        Objects.requireNonNull(reason, "reason");
        if (stop && reason.isBlank()) {
            throw new IllegalArgumentException("a stop decision needs a reason");
        }
    }

    /**
     * @param reason why
     * @return stop, and drop this step's sentence (how the end-of-sequence test behaves)
     */
    public static StopDecision stopAndDrop(String reason) {
        return new StopDecision(true, false, reason);
    }

    /**
     * @param reason why
     * @return stop after keeping this step's sentence (how a sentence limit behaves)
     */
    public static StopDecision stopAndKeep(String reason) {
        return new StopDecision(true, true, reason);
    }
}
