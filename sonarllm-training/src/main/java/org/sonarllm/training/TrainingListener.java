package org.sonarllm.training;

import java.nio.file.Path;

/**
 * Progress callbacks of a {@link TrainingLoop} run (called on the training thread; keep them quick). An
 * exception thrown by a callback stops the run; the last checkpoint stays valid for a resume.
 *
 * <pre>{@code
 * trainer.train(data, new TrainingListener() {
 *     public void onStep(StepMetrics m) { log.info("step {}/{} loss {}", m.step(), m.steps(), m.loss()); }
 * });
 * }</pre>
 */
public interface TrainingListener {
    /** A listener that ignores everything. */
    TrainingListener NONE = new TrainingListener() {};

    /**
     * After each optimizer step.
     *
     * @param m the step's metrics
     */
    default void onStep(StepMetrics m) {}

    /**
     * After each completed epoch and at the end of the run, when the task has validation data.
     *
     * @param m the epoch's metrics
     */
    default void onEpoch(EpochMetrics m) {}

    /**
     * After a checkpoint was written.
     *
     * @param step the step it holds
     * @param file the checkpoint file
     */
    default void onCheckpoint(long step, Path file) {}

    /**
     * Metrics of one optimizer step (one row of {@code metrics.csv}).
     *
     * @param step 1-based optimizer step just taken
     * @param steps total steps of the run
     * @param epoch 0-based epoch of the last micro-batch
     * @param phase the task's phase ("train"; the autoencoder: "dae" or "interp")
     * @param loss mean loss over the step's micro-batches
     * @param learningRate the learning rate used
     * @param gradNorm global gradient norm before clipping
     * @param sentences sentences predicted (concept LM) or reconstructed (autoencoder) in the step
     * @param targetTokens decoder label tokens in the step (0 for the MSE objective)
     * @param seconds wall time of the step
     */
    record StepMetrics(long step, long steps, int epoch, String phase, double loss, double learningRate, double gradNorm,
            long sentences, long targetTokens, double seconds) {}

    /**
     * Metrics of one epoch.
     *
     * @param epoch 0-based epoch
     * @param step optimizer steps so far
     * @param validationLoss validation loss
     */
    record EpochMetrics(int epoch, long step, double validationLoss) {}
}
