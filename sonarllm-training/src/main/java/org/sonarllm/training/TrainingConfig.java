package org.sonarllm.training;

import org.sonarllm.InvalidInputException;
import org.sonarllm.training.model.Objective;

/**
 * Optimisation settings of a {@link ConceptLMTrainer} run.
 *
 * <pre>{@code
 * TrainingConfig t = TrainingConfig.defaults().withSteps(1000).withBatchSize(8).withObjective(Objective.CE);
 * }</pre>
 *
 * @param objective CE (default) or MSE
 * @param steps total optimizer steps (the cosine schedule spans them)
 * @param batchSize documents per micro-batch
 * @param accumulation micro-batches per optimizer step
 * @param learningRate peak learning rate
 * @param minLearningRate final learning rate of the cosine
 * @param warmupSteps linear warmup steps
 * @param weightDecay AdamW decoupled weight decay (matrices only)
 * @param beta1 AdamW beta1
 * @param beta2 AdamW beta2
 * @param adamEps AdamW epsilon
 * @param clipNorm global gradient-norm clip (0 disables)
 * @param seed seed of initialisation and data order
 * @param checkpointEvery write a checkpoint every this many steps (and at the end)
 * @param validateEveryEpoch compute validation loss at the end of each epoch
 */
public record TrainingConfig(Objective objective, long steps, int batchSize, int accumulation, double learningRate,
        double minLearningRate, long warmupSteps, double weightDecay, double beta1, double beta2, double adamEps,
        double clipNorm, long seed, long checkpointEvery, boolean validateEveryEpoch) {

    /** Validates. */
    public TrainingConfig {
        if (objective == null || steps <= 0 || batchSize <= 0 || accumulation <= 0 || checkpointEvery <= 0) {
            throw new InvalidInputException("expected an objective and positive steps, batch size, accumulation and "
                    + "checkpoint interval, found " + objective + ", " + steps + ", " + batchSize + ", " + accumulation
                    + ", " + checkpointEvery);
        }
    }

    /** @return CE, 1000 steps, batch 8, no accumulation, lr 3e-4 to 3e-5, warmup 100, wd 0.1, betas 0.9/0.95, clip 1, seed 42 */
    public static TrainingConfig defaults() {
        return new TrainingConfig(Objective.CE, 1000, 8, 1, 3e-4, 3e-5, 100, 0.1, 0.9, 0.95, 1e-8, 1.0, 42, 100, true);
    }

    /** @param v objective @return a copy */
    public TrainingConfig withObjective(Objective v) {
        return new TrainingConfig(v, steps, batchSize, accumulation, learningRate, minLearningRate, warmupSteps,
                weightDecay, beta1, beta2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch);
    }

    /** @param v steps @return a copy */
    public TrainingConfig withSteps(long v) {
        return new TrainingConfig(objective, v, batchSize, accumulation, learningRate, minLearningRate,
                Math.min(warmupSteps, v), weightDecay, beta1, beta2, adamEps, clipNorm, seed, checkpointEvery,
                validateEveryEpoch);
    }

    /** @param v documents per micro-batch @return a copy */
    public TrainingConfig withBatchSize(int v) {
        return new TrainingConfig(objective, steps, v, accumulation, learningRate, minLearningRate, warmupSteps,
                weightDecay, beta1, beta2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch);
    }

    /** @param v micro-batches per step @return a copy */
    public TrainingConfig withAccumulation(int v) {
        return new TrainingConfig(objective, steps, batchSize, v, learningRate, minLearningRate, warmupSteps,
                weightDecay, beta1, beta2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch);
    }

    /**
     * @param peak peak learning rate
     * @param min final learning rate
     * @param warmup warmup steps
     * @return a copy
     */
    public TrainingConfig withLearningRate(double peak, double min, long warmup) {
        return new TrainingConfig(objective, steps, batchSize, accumulation, peak, min, warmup, weightDecay, beta1,
                beta2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch);
    }

    /** @param v seed @return a copy */
    public TrainingConfig withSeed(long v) {
        return new TrainingConfig(objective, steps, batchSize, accumulation, learningRate, minLearningRate,
                warmupSteps, weightDecay, beta1, beta2, adamEps, clipNorm, v, checkpointEvery, validateEveryEpoch);
    }

    /** @param v checkpoint interval in steps @return a copy */
    public TrainingConfig withCheckpointEvery(long v) {
        return new TrainingConfig(objective, steps, batchSize, accumulation, learningRate, minLearningRate,
                warmupSteps, weightDecay, beta1, beta2, adamEps, clipNorm, seed, v, validateEveryEpoch);
    }

    /** @param v clip norm (0 disables) @return a copy */
    public TrainingConfig withClipNorm(double v) {
        return new TrainingConfig(objective, steps, batchSize, accumulation, learningRate, minLearningRate,
                warmupSteps, weightDecay, beta1, beta2, adamEps, v, seed, checkpointEvery, validateEveryEpoch);
    }

    /** @param v weight decay @return a copy */
    public TrainingConfig withWeightDecay(double v) {
        return new TrainingConfig(objective, steps, batchSize, accumulation, learningRate, minLearningRate,
                warmupSteps, v, beta1, beta2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch);
    }
}
