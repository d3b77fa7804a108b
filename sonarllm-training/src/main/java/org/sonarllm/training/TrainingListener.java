package org.sonarllm.training;

/**
 * Progress callbacks of a {@link ConceptLMTrainer} (called on the training thread; keep them quick).
 *
 * <pre>{@code
 * trainer.train(data, new TrainingListener() {
 *     public void onStep(StepMetrics m) { log.info("step {} loss {}", m.step(), m.loss()); }
 * });
 * }</pre>
 */
public interface TrainingListener {
    /**
     * After each optimizer step.
     *
     * @param m the step's metrics
     */
    default void onStep(StepMetrics m) {}

    /**
     * After each completed epoch (with validation loss when enabled).
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
    default void onCheckpoint(long step, java.nio.file.Path file) {}

    /**
     * Metrics of one optimizer step.
     *
     * @param step 1-based optimizer step just taken
     * @param epoch 0-based epoch of the last micro-batch
     * @param loss mean loss over the step's micro-batches
     * @param learningRate the learning rate used
     * @param gradNorm global gradient norm before clipping
     * @param sentences predicted sentences in the step
     * @param targetTokens CE label tokens in the step (0 for MSE)
     * @param seconds wall time of the step
     */
    record StepMetrics(long step, int epoch, double loss, double learningRate, double gradNorm, long sentences,
            long targetTokens, double seconds) {}

    /**
     * Metrics of one epoch.
     *
     * @param epoch 0-based epoch
     * @param step optimizer steps so far
     * @param validationLoss validation loss (NaN without validation data)
     */
    record EpochMetrics(int epoch, long step, double validationLoss) {}
}
