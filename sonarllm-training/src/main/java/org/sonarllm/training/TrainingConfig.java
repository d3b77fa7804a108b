package org.sonarllm.training;

import java.util.Locale;
import org.sonarllm.InvalidInputException;

/**
 * Settings of one {@link TrainingLoop} run, whatever the task: optimizer (AdamW), learning-rate schedule
 * (linear warmup, cosine to the minimum), clipping, batching, accumulation, seed, checkpoint interval,
 * validation and data-parallel workers. Every setting except {@code checkpointEvery},
 * {@code validateEveryEpoch} and {@code workers} is part of the run's fingerprint: a resume must use the
 * same ones.
 *
 * <pre>{@code
 * TrainingConfig t = TrainingConfig.defaults().withSteps(1000).withBatchSize(8).withWorkers(2);
 * }</pre>
 *
 * @param steps total optimizer steps (the cosine schedule spans them)
 * @param batchSize examples (documents, sentences) per micro-batch
 * @param accumulation micro-batches per optimizer step (their gradients are averaged)
 * @param learningRate peak learning rate
 * @param minLearningRate final learning rate of the cosine (clamped to the peak)
 * @param warmupSteps linear warmup steps
 * @param weightDecay AdamW decoupled weight decay (matrices only)
 * @param beta1 AdamW beta1
 * @param beta2 AdamW beta2
 * @param adamEps AdamW epsilon
 * @param clipNorm global gradient-norm clip (0 disables)
 * @param seed seed of initialisation, data order and noise
 * @param checkpointEvery write a checkpoint every this many steps (and at the end)
 * @param validateEveryEpoch compute the task's validation loss at the end of each epoch and of the run
 * @param workers graph replicas each micro-batch is split over, one thread each (1..64); the result
 *     equals one replica's up to float rounding
 */
public record TrainingConfig(long steps, int batchSize, int accumulation, double learningRate, double minLearningRate,
        long warmupSteps, double weightDecay, double beta1, double beta2, double adamEps, double clipNorm, long seed,
        long checkpointEvery, boolean validateEveryEpoch, int workers) {

    /** Largest accepted number of workers. */
    public static final int MAX_WORKERS = 64;

    /** Validates. */
    public TrainingConfig {
        if (steps <= 0 || batchSize <= 0 || accumulation <= 0 || checkpointEvery <= 0 || warmupSteps < 0) {
            throw new InvalidInputException("expected positive steps, batch size, accumulation and checkpoint interval "
                    + "and warmup >= 0, found " + steps + ", " + batchSize + ", " + accumulation + ", " + checkpointEvery
                    + " and " + warmupSteps);
        }
        if (!(learningRate > 0) || !(minLearningRate >= 0) || !(clipNorm >= 0)) {
            throw new InvalidInputException("expected a learning rate > 0, a minimum >= 0 and a clip norm >= 0, found "
                    + learningRate + ", " + minLearningRate + " and " + clipNorm);
        }
        if (workers < 1 || workers > MAX_WORKERS) {
            throw new InvalidInputException("expected 1.." + MAX_WORKERS + " workers, found " + workers);
        }
    }

    /**
     * @return 1000 steps, batch 8, no accumulation, lr 3e-4 to 3e-5, warmup 100, weight decay 0.1, betas
     *     0.9/0.95, eps 1e-8, clip 1, seed 42, checkpoint every 100, validation every epoch, 1 worker
     */
    public static TrainingConfig defaults() {
        return new TrainingConfig(1000, 8, 1, 3e-4, 3e-5, 100, 0.1, 0.9, 0.95, 1e-8, 1.0, 42, 100, true, 1);
    }

    /** @return the settings a resume must share, as one line (part of the checkpoint fingerprint) */
    public String fingerprint() {
        return String.format(Locale.ROOT, "steps=%d batch=%d acc=%d lr=%s..%s warmup=%d wd=%s betas=%s,%s eps=%s clip=%s seed=%d",
                steps, batchSize, accumulation, learningRate, minLearningRate, warmupSteps, weightDecay, beta1, beta2,
                adamEps, clipNorm, seed);
    }

    /** @param v steps (the warmup is cut to them) @return a copy */
    public TrainingConfig withSteps(long v) {
        return new TrainingConfig(v, batchSize, accumulation, learningRate, minLearningRate, Math.min(warmupSteps, v),
                weightDecay, beta1, beta2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch, workers);
    }

    /** @param v examples per micro-batch @return a copy */
    public TrainingConfig withBatchSize(int v) {
        return new TrainingConfig(steps, v, accumulation, learningRate, minLearningRate, warmupSteps, weightDecay, beta1,
                beta2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch, workers);
    }

    /** @param v micro-batches per step @return a copy */
    public TrainingConfig withAccumulation(int v) {
        return new TrainingConfig(steps, batchSize, v, learningRate, minLearningRate, warmupSteps, weightDecay, beta1,
                beta2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch, workers);
    }

    /**
     * @param peak peak learning rate
     * @param min final learning rate
     * @param warmup warmup steps
     * @return a copy
     */
    public TrainingConfig withLearningRate(double peak, double min, long warmup) {
        return new TrainingConfig(steps, batchSize, accumulation, peak, min, warmup, weightDecay, beta1, beta2, adamEps,
                clipNorm, seed, checkpointEvery, validateEveryEpoch, workers);
    }

    /**
     * @param b1 AdamW beta1
     * @param b2 AdamW beta2
     * @return a copy
     */
    public TrainingConfig withBetas(double b1, double b2) {
        return new TrainingConfig(steps, batchSize, accumulation, learningRate, minLearningRate, warmupSteps, weightDecay,
                b1, b2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch, workers);
    }

    /** @param v seed @return a copy */
    public TrainingConfig withSeed(long v) {
        return new TrainingConfig(steps, batchSize, accumulation, learningRate, minLearningRate, warmupSteps, weightDecay,
                beta1, beta2, adamEps, clipNorm, v, checkpointEvery, validateEveryEpoch, workers);
    }

    /** @param v checkpoint interval in steps @return a copy */
    public TrainingConfig withCheckpointEvery(long v) {
        return new TrainingConfig(steps, batchSize, accumulation, learningRate, minLearningRate, warmupSteps, weightDecay,
                beta1, beta2, adamEps, clipNorm, seed, v, validateEveryEpoch, workers);
    }

    /** @param v clip norm (0 disables) @return a copy */
    public TrainingConfig withClipNorm(double v) {
        return new TrainingConfig(steps, batchSize, accumulation, learningRate, minLearningRate, warmupSteps, weightDecay,
                beta1, beta2, adamEps, v, seed, checkpointEvery, validateEveryEpoch, workers);
    }

    /** @param v weight decay @return a copy */
    public TrainingConfig withWeightDecay(double v) {
        return new TrainingConfig(steps, batchSize, accumulation, learningRate, minLearningRate, warmupSteps, v, beta1,
                beta2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch, workers);
    }

    /** @param v graph replicas on threads (1 = none) @return a copy */
    public TrainingConfig withWorkers(int v) {
        return new TrainingConfig(steps, batchSize, accumulation, learningRate, minLearningRate, warmupSteps, weightDecay,
                beta1, beta2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch, v);
    }

    /** @param v validate at epoch ends @return a copy */
    public TrainingConfig withValidateEveryEpoch(boolean v) {
        return new TrainingConfig(steps, batchSize, accumulation, learningRate, minLearningRate, warmupSteps, weightDecay,
                beta1, beta2, adamEps, clipNorm, seed, checkpointEvery, v, workers);
    }
}
