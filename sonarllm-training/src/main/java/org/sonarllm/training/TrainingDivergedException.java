package org.sonarllm.training;

import org.sonarllm.SonarLlmException;

/**
 * The loss of an optimizer step was NaN or infinite. The step's update is not applied and no checkpoint
 * is written for it, so the last checkpoint is still a valid place to resume from (with a lower
 * learning rate).
 *
 * <pre>{@code
 * try {
 *     trainer.train(data, listener);
 * } catch (TrainingDivergedException e) {
 *     log.warn("diverged at step {}", e.step());
 * }
 * }</pre>
 */
public final class TrainingDivergedException extends SonarLlmException {
    private static final long serialVersionUID = 1L;
    private final long step;
    private final double loss;

    /**
     * @param step the 1-based optimizer step whose loss was not finite
     * @param loss that loss
     */
    public TrainingDivergedException(long step, double loss) {
        super("training diverged: expected a finite loss, found " + loss + " at step " + step
                + " (lower the learning rate)");
        this.step = step;
        this.loss = loss;
    }

    /** @return the 1-based step that diverged */
    public long step() {
        return step;
    }

    /** @return the non-finite loss */
    public double loss() {
        return loss;
    }
}
