package org.sonarllm.training;

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
 * @param minLearningRate final learning rate of the cosine (0..learningRate)
 * @param warmupSteps linear warmup steps
 * @param weightDecay AdamW decoupled weight decay (matrices only)
 * @param beta1 AdamW beta1
 * @param beta2 AdamW beta2
 * @param adamEps AdamW epsilon
 * @param clipNorm global gradient-norm clip (> 0; {@code Double.POSITIVE_INFINITY} disables)
 * @param seed seed of initialisation, data order and noise
 * @param checkpointEvery write a checkpoint every this many steps (and at the end)
 * @param validateEveryEpoch compute the task's validation loss at the end of each epoch and of the run
 * @param workers graph replicas each micro-batch is split over, one thread each (1..64); the result
 *     equals one replica's up to float rounding
 * @param patience validation-based stopping (0 = off): the run stops when this many epoch-end validations
 *     in a row have not improved on the best one, and the parameters of the best validation are kept
 *     ({@link TrainingResult#best()}); needs {@code validateEveryEpoch} and validation data
 */
public record TrainingConfig(long steps, int batchSize, int accumulation, double learningRate, double minLearningRate,
        long warmupSteps, double weightDecay, double beta1, double beta2, double adamEps, double clipNorm, long seed,
        long checkpointEvery, boolean validateEveryEpoch, int workers, int patience) {

    /** Largest accepted number of workers. */
    public static final int MAX_WORKERS = 64;

    /**
     * Validates every setting against its documented range; a violation is an {@link InvalidInputException}
     * naming the setting and the given value ("expected a minimum learning rate &lt;= the learning rate 3e-4,
     * found 0.001").
     */
    public TrainingConfig {
        positive("steps", steps);
        positive("batch size", batchSize);
        positive("accumulation", accumulation);
        positive("checkpoint interval", checkpointEvery);
        if (warmupSteps < 0) {
            throw new InvalidInputException("expected warmup steps >= 0, found " + warmupSteps);
        }
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new InvalidInputException("expected a finite learning rate > 0, found " + format(learningRate));
        }
        if (!(minLearningRate >= 0) || !(minLearningRate <= learningRate)) {
            throw new InvalidInputException("expected a minimum learning rate in 0.." + format(learningRate)
                    + " (the learning rate), found " + format(minLearningRate));
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new InvalidInputException("expected a finite weight decay >= 0, found " + format(weightDecay));
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new InvalidInputException("expected AdamW betas in [0, 1), found " + format(beta1) + " and " + format(beta2));
        }
        if (!(adamEps > 0) || !Double.isFinite(adamEps)) {
            throw new InvalidInputException("expected a finite AdamW epsilon > 0, found " + format(adamEps));
        }
        if (!(clipNorm > 0)) {
            throw new InvalidInputException("expected a gradient clip norm > 0 (Infinity for no clipping), found "
                    + format(clipNorm));
        }
        if (patience < 0) {
            throw new InvalidInputException("expected a patience >= 0 epochs (0 = off), found " + patience);
        }
        if (patience > 0 && !validateEveryEpoch) {
            throw new InvalidInputException("expected validation at every epoch with a patience of " + patience
                    + ", found validation off");
        }
        if (workers < 1 || workers > MAX_WORKERS) {
            throw new InvalidInputException("expected 1.." + MAX_WORKERS + " workers, found " + workers);
        }
    }

    private static void positive(String name, long v) {
        if (v <= 0) {
            throw new InvalidInputException("expected " + name + " > 0, found " + v);
        }
    }

    /**
     * A number as a person writes it: {@code 3e-4}, {@code 0.01}, {@code 1}, {@code NaN}.
     *
     * @param v a number
     * @return its shortest form
     */
    public static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        String s = Double.toString(v);
        int e = s.indexOf('E');
        if (e < 0) {
            return s;
        }
        String mantissa = s.substring(0, e);
        if (mantissa.endsWith(".0")) {
            mantissa = mantissa.substring(0, mantissa.length() - 2);
        }
        return mantissa + "e" + s.substring(e + 1);
    }

    /**
     * @return 1000 steps, batch 8, no accumulation, lr 3e-4 to 3e-5, warmup 100, weight decay 0.1, betas
     *     0.9/0.95, eps 1e-8, clip 1, seed 42, checkpoint every 100, validation every epoch, 1 worker
     */
    public static TrainingConfig defaults() {
        return new TrainingConfig(1000, 8, 1, 3e-4, 3e-5, 100, 0.1, 0.9, 0.95, 1e-8, 1.0, 42, 100, true, 1, 0);
    }

    /**
     * The settings a resume must share, by name (part of the checkpoint's settings; {@code checkpointEvery},
     * {@code validateEveryEpoch} and {@code workers} do not change the result and are left out).
     *
     * @return name -> value, in a fixed order
     */
    public java.util.Map<String, String> fingerprint() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("steps", Long.toString(steps));
        m.put("batch size", Integer.toString(batchSize));
        m.put("accumulation", Integer.toString(accumulation));
        m.put("lr", format(learningRate));
        m.put("min lr", format(minLearningRate));
        m.put("warmup", Long.toString(warmupSteps));
        m.put("weight decay", format(weightDecay));
        m.put("beta1", format(beta1));
        m.put("beta2", format(beta2));
        m.put("eps", format(adamEps));
        m.put("clip", format(clipNorm));
        m.put("seed", Long.toString(seed));
        if (patience > 0) {
            m.put("patience", Integer.toString(patience));
        }
        return m;
    }

    /** @param v steps (the warmup is cut to them) @return a copy */
    public TrainingConfig withSteps(long v) {
        return new TrainingConfig(v, batchSize, accumulation, learningRate, minLearningRate, Math.min(warmupSteps, v),
                weightDecay, beta1, beta2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch, workers, patience);
    }

    /** @param v examples per micro-batch @return a copy */
    public TrainingConfig withBatchSize(int v) {
        return new TrainingConfig(steps, v, accumulation, learningRate, minLearningRate, warmupSteps, weightDecay, beta1,
                beta2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch, workers, patience);
    }

    /** @param v micro-batches per step @return a copy */
    public TrainingConfig withAccumulation(int v) {
        return new TrainingConfig(steps, batchSize, v, learningRate, minLearningRate, warmupSteps, weightDecay, beta1,
                beta2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch, workers, patience);
    }

    /**
     * @param peak peak learning rate
     * @param min final learning rate
     * @param warmup warmup steps
     * @return a copy
     */
    public TrainingConfig withLearningRate(double peak, double min, long warmup) {
        return new TrainingConfig(steps, batchSize, accumulation, peak, min, warmup, weightDecay, beta1, beta2, adamEps,
                clipNorm, seed, checkpointEvery, validateEveryEpoch, workers, patience);
    }

    /**
     * @param b1 AdamW beta1
     * @param b2 AdamW beta2
     * @return a copy
     */
    public TrainingConfig withBetas(double b1, double b2) {
        return new TrainingConfig(steps, batchSize, accumulation, learningRate, minLearningRate, warmupSteps, weightDecay,
                b1, b2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch, workers, patience);
    }

    /** @param v seed @return a copy */
    public TrainingConfig withSeed(long v) {
        return new TrainingConfig(steps, batchSize, accumulation, learningRate, minLearningRate, warmupSteps, weightDecay,
                beta1, beta2, adamEps, clipNorm, v, checkpointEvery, validateEveryEpoch, workers, patience);
    }

    /** @param v checkpoint interval in steps @return a copy */
    public TrainingConfig withCheckpointEvery(long v) {
        return new TrainingConfig(steps, batchSize, accumulation, learningRate, minLearningRate, warmupSteps, weightDecay,
                beta1, beta2, adamEps, clipNorm, seed, v, validateEveryEpoch, workers, patience);
    }

    /** @param v clip norm (> 0; infinity disables) @return a copy */
    public TrainingConfig withClipNorm(double v) {
        return new TrainingConfig(steps, batchSize, accumulation, learningRate, minLearningRate, warmupSteps, weightDecay,
                beta1, beta2, adamEps, v, seed, checkpointEvery, validateEveryEpoch, workers, patience);
    }

    /** @param v weight decay @return a copy */
    public TrainingConfig withWeightDecay(double v) {
        return new TrainingConfig(steps, batchSize, accumulation, learningRate, minLearningRate, warmupSteps, v, beta1,
                beta2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch, workers, patience);
    }

    /** @param v graph replicas on threads (1 = none) @return a copy */
    public TrainingConfig withWorkers(int v) {
        return new TrainingConfig(steps, batchSize, accumulation, learningRate, minLearningRate, warmupSteps, weightDecay,
                beta1, beta2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch, v, patience);
    }

    /** @param v validate at epoch ends @return a copy */
    public TrainingConfig withValidateEveryEpoch(boolean v) {
        return new TrainingConfig(steps, batchSize, accumulation, learningRate, minLearningRate, warmupSteps, weightDecay,
                beta1, beta2, adamEps, clipNorm, seed, checkpointEvery, v, workers, patience);
    }

    /** @param v epochs without improvement before stopping (0 = off) @return a copy */
    public TrainingConfig withPatience(int v) {
        return new TrainingConfig(steps, batchSize, accumulation, learningRate, minLearningRate, warmupSteps, weightDecay,
                beta1, beta2, adamEps, clipNorm, seed, checkpointEvery, validateEveryEpoch, workers, v);
    }
}
