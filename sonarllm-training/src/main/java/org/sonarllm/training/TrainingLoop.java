package org.sonarllm.training;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.InvalidInputException;
import org.sonarllm.training.internal.NativeGarbage;
import org.sonarllm.training.internal.Nd4jOutput;
import org.sonarllm.training.optim.AdamW;
import org.sonarllm.training.optim.CosineSchedule;
import org.sonarllm.training.optim.GradientClipping;

/**
 * The one training loop of this module (after Tribuo's shared SGD trainer): a {@link TrainingTask}
 * supplies parameters, data order and gradients; the loop does the rest, identically for the concept
 * LM and the SONAR-space autoencoder:
 * <ol>
 *   <li>the output directory is locked for the run ({@link RunDirectory}); one that holds a run is refused
 *       unless resumed or forced;</li>
 *   <li>resume from {@value #CHECKPOINT} in the output directory when asked and present, after checking
 *       the run's named settings (the task's, including a hash of its data, {@link TrainingConfig#fingerprint()}
 *       and the number of examples; a mismatch names the first differing one) and every parameter's shape;
 *       the resumed run continues exactly as the uninterrupted one would; a finished run is left as it is;</li>
 *   <li>per optimizer step, {@code accumulation} micro-batches in the task's epoch order, each split over
 *       {@code workers} graph replicas on threads; the mean of the micro-batch gradients is clipped to the
 *       global norm, and AdamW updates the parameters the task trains at this step, with the learning rate
 *       of a linear warmup then a cosine to the minimum;</li>
 *   <li>a non-finite loss throws {@link TrainingDivergedException} before the update;</li>
 *   <li>{@code metrics.csv} (one row per step), {@code validation.csv} and {@code loss.png} in the output
 *       directory, and the {@link TrainingListener} callbacks;</li>
 *   <li>the task's validation loss at every epoch end and at the end of the run; with a
 *       {@link TrainingConfig#patience() patience}, the parameters of the best validation in {@value #BEST}
 *       ({@link TrainingResult#bestParameters()}) and a stop when that many epoch ends in a row have not
 *       improved on it;</li>
 *   <li>a checkpoint (atomic) every {@code checkpointEvery} steps and at the end, after the final validation.</li>
 * </ol>
 *
 * <pre>{@code
 * TrainingLoop loop = new TrainingLoop(TrainingConfig.defaults().withSteps(500), Path.of("run"), true);
 * TrainingResult r = loop.run(task, new TrainingListener() {
 *     public void onStep(StepMetrics m) { log.info("step {}/{} loss {}", m.step(), m.steps(), m.loss()); }
 * });
 * }</pre>
 *
 * <p>Not thread-safe: one run at a time per instance; a second run on the same output directory (any thread
 * or process) fails at once with {@link RunLockedException}.
 */
public final class TrainingLoop {
    /** Checkpoint file name in the output directory. */
    public static final String CHECKPOINT = "checkpoint.bin";
    /** File name of the best-validation checkpoint (with a patience). */
    public static final String BEST = "best.bin";
    private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);
    /** Resident-memory growth after which a step ends with a garbage collection ({@link NativeGarbage}). */
    private static final long GARBAGE_GROWTH = 64L << 20;

    private final TrainingConfig config;
    private final Path outputDir;
    private final boolean resume;
    private final boolean force;

    /**
     * @param config run settings
     * @param outputDir where the checkpoint and the metrics go (created when missing)
     * @param resume continue from the output directory's checkpoint when there is one
     */
    public TrainingLoop(TrainingConfig config, Path outputDir, boolean resume) {
        this(config, outputDir, resume, false);
    }

    /**
     * @param config run settings
     * @param outputDir where the checkpoint and the metrics go (created when missing)
     * @param resume continue from the output directory's checkpoint when there is one
     * @param force without {@code resume}, start over when the directory holds a run (its files are removed)
     */
    public TrainingLoop(TrainingConfig config, Path outputDir, boolean resume, boolean force) {
        this.config = config;
        this.outputDir = outputDir;
        this.resume = resume;
        this.force = force;
    }

    /** Where the data stands: optimizer steps taken, epoch, batches of the epoch consumed; last losses. */
    private record Position(long step, int epoch, int batch, double loss, double validation) {}

    /**
     * Runs (or resumes) training to {@link TrainingConfig#steps()} optimizer steps. The output directory is
     * locked for the run ({@link RunDirectory}); a directory holding a run is refused unless {@code resume}
     * (continue) or {@code force} (start over). Resuming a finished run changes nothing and returns its
     * final metrics.
     *
     * @param task the model and its data
     * @param listener progress callbacks
     * @param <E> the task's example type
     * @return the final metrics
     * @throws EmptyCorpusException if the task has no example
     * @throws RunLockedException if another run holds the output directory
     * @throws InvalidInputException if the directory holds a run and neither resume nor force is set
     * @throws CheckpointMismatchException if the checkpoint belongs to another run (the first differing setting named)
     * @throws CorruptCheckpointException if the checkpoint cannot be read
     * @throws TrainingDivergedException if a step's loss is not finite
     */
    public <E> TrainingResult run(TrainingTask<E> task, TrainingListener listener) {
        int n = task.size();
        if (n == 0) {
            throw new EmptyCorpusException(task.unit(), "");
        }
        try (RunDirectory held = RunDirectory.open(outputDir, resume, force)) {
            Path file = outputDir.resolve(CHECKPOINT);
            Map<String, String> settings = settings(task, config);
            AdamW adam = new AdamW(config.beta1(), config.beta2(), config.adamEps(), config.weightDecay());
            Position start = resume && Files.exists(file) ? restore(task, adam, file, settings)
                    : new Position(0, 0, 0, Double.NaN, Double.NaN);
            BestValidation best = BestValidation.restore(outputDir.resolve(BEST), config.patience(), resume);
            if (start.step() >= config.steps()) {
                LOG.info("the run in {} is finished ({} steps): nothing to do", outputDir, start.step());
                return best.result(new TrainingResult(start.step(), start.epoch(), start.loss(), start.validation(), file,
                        null, Double.NaN));
            }
            MetricsFiles metrics = new MetricsFiles(outputDir);
            metrics.reset(start.step());
            return Nd4jOutput.quietly(() -> {
                try (Replicas<E> replicas = new Replicas<>(task, config.workers())) {
                    return loop(task, replicas, adam, start, file, settings, metrics, listener, best);
                }
            });
        }
    }

    /**
     * The named settings a checkpoint must share with the run that resumes it: the task's (model, objective,
     * a content hash of its data), the loop's ({@link TrainingConfig#fingerprint()}) and the number of examples.
     *
     * @param task the task
     * @param config the settings
     * @return name -> value
     */
    static Map<String, String> settings(TrainingTask<?> task, TrainingConfig config) {
        Map<String, String> m = new LinkedHashMap<>(task.fingerprint());
        m.putAll(config.fingerprint());
        m.put("examples", Integer.toString(task.size()));
        return m;
    }

    private <E> TrainingResult loop(TrainingTask<E> task, Replicas<E> replicas, AdamW adam, Position start, Path file,
            Map<String, String> settings, MetricsFiles metrics, TrainingListener listener, BestValidation best) {
        CosineSchedule schedule = new CosineSchedule(config.learningRate(), config.minLearningRate(), config.warmupSteps(),
                config.steps());
        long step = start.step();
        int epoch = start.epoch();
        int batch = start.batch();
        List<int[]> batches = task.epochBatches(epoch, config.seed(), config.batchSize());
        NativeGarbage garbage = new NativeGarbage(GARBAGE_GROWTH);
        double lastLoss = start.loss();
        double lastValidation = start.validation();
        Map<String, INDArray> live = task.parameters();
        boolean stopped = false;
        steps:
        while (step < config.steps()) {
            long t0 = System.nanoTime();
            List<String> names = task.trainable(step);
            Map<String, INDArray> sum = null;
            double lossSum = 0;
            long sentences = 0;
            long tokens = 0;
            for (int micro = 0; micro < config.accumulation(); micro++) {
                if (batch >= batches.size()) {
                    lastValidation = validate(task, epoch, step, metrics, listener, lastValidation);
                    metrics.plot();
                    keepIfBest(best, settings, step, epoch, batch, lastValidation, live);
                    if (best.exhausted(epoch)) {
                        stopped = true;
                        break steps;
                    }
                    epoch++;
                    batch = 0;
                    batches = task.epochBatches(epoch, config.seed(), config.batchSize());
                }
                TrainingTask.Gradients g = replicas.gradients(task.examples(batches.get(batch++), step, micro), names);
                lossSum += g.loss();
                sentences += g.sentences();
                tokens += g.targetTokens();
                sum = accumulate(sum, g.gradients(), names);
            }
            double loss = lossSum / config.accumulation();
            if (!Double.isFinite(loss)) {
                throw new TrainingDivergedException(step + 1, loss);
            }
            if (config.accumulation() > 1) {
                sum.values().forEach(a -> a.divi(config.accumulation()));
            }
            double norm = GradientClipping.clip(sum, config.clipNorm());
            double lr = schedule.at(step);
            Map<String, INDArray> updated = new LinkedHashMap<>();
            names.forEach(k -> updated.put(k, live.get(k)));
            adam.step(updated, sum, lr);
            replicas.sync(names);
            garbage.afterStep();
            String phase = task.phase(step);
            step++;
            lastLoss = loss;
            double secs = (System.nanoTime() - t0) / 1e9;
            metrics.step(step, epoch, loss, lr, norm, sentences, tokens, secs, phase);
            LOG.debug("step {}/{} {} loss {} lr {} |g| {}", step, config.steps(), phase, loss, lr, norm);
            listener.onStep(new TrainingListener.StepMetrics(step, config.steps(), epoch, phase, loss, lr, norm, sentences,
                    tokens, secs));
            if (step % config.checkpointEvery() == 0 && step < config.steps()) {
                checkpoint(settings, step, epoch, batch, adam, lastLoss, lastValidation, live, file, listener);
            }
        }
        if (!stopped) {
            lastValidation = validate(task, epoch, step, metrics, listener, lastValidation);
            metrics.plot();
            keepIfBest(best, settings, step, epoch, batch, lastValidation, live);
        }
        // The last checkpoint follows the final validation: a run killed before it redoes its last steps (their
        // rows are dropped), and a checkpoint at the end means a finished run, which a resume leaves as it is. A
        // run stopped by its patience resumes to the same validation and the same stop.
        checkpoint(settings, step, epoch, batch, adam, lastLoss, lastValidation, live, file, listener);
        return best.result(new TrainingResult(step, epoch, lastLoss, lastValidation, file, null, Double.NaN));
    }

    /** With validation-based stopping, writes the parameters of a new best validation to {@value #BEST}. */
    private void keepIfBest(BestValidation best, Map<String, String> settings, long step, int epoch, int batch,
            double validation, Map<String, INDArray> live) {
        if (best.improves(validation)) {
            new Checkpoint(settings, step, epoch, batch, config.seed(), 0, Double.NaN, validation, live, Map.of(), Map.of())
                    .write(outputDir.resolve(BEST));
            best.record(epoch, validation);
        }
    }

    private void checkpoint(Map<String, String> settings, long step, int epoch, int batch, AdamW adam, double loss,
            double validation, Map<String, INDArray> live, Path file, TrainingListener listener) {
        new Checkpoint(settings, step, epoch, batch, config.seed(), adam.steps(), loss, validation, live,
                adam.firstMoments(), adam.secondMoments()).write(file);
        LOG.info("checkpoint at step {} in {}", step, file);
        listener.onCheckpoint(step, file);
    }

    /** The task's validation loss (when enabled and available), recorded and reported; else {@code previous}. */
    private double validate(TrainingTask<?> task, int epoch, long step, MetricsFiles metrics, TrainingListener listener,
            double previous) {
        if (!config.validateEveryEpoch()) {
            return previous;
        }
        double v = task.validationLoss();
        if (Double.isNaN(v)) {
            return previous;
        }
        metrics.validation(epoch, step, v);
        listener.onEpoch(new TrainingListener.EpochMetrics(epoch, step, v));
        return v;
    }

    private static Map<String, INDArray> accumulate(Map<String, INDArray> sum, Map<String, INDArray> g, List<String> names) {
        if (sum == null) {
            Map<String, INDArray> first = new LinkedHashMap<>();
            names.forEach(k -> first.put(k, g.get(k).dup()));
            return first;
        }
        names.forEach(k -> sum.get(k).addi(g.get(k)));
        return sum;
    }

    /** Loads the checkpoint into the task's parameters and the optimizer; touches no file. */
    private Position restore(TrainingTask<?> task, AdamW adam, Path file, Map<String, String> settings) {
        Checkpoint c = Checkpoint.read(file);
        for (Map.Entry<String, String> e : c.settings().entrySet()) {
            String given = settings.get(e.getKey());
            if (!e.getValue().equals(given)) {
                throw new CheckpointMismatchException(file, e.getKey() + " " + e.getValue(), given == null ? "no " + e.getKey()
                        : given);
            }
        }
        for (String k : settings.keySet()) {
            if (!c.settings().containsKey(k)) {
                throw new CheckpointMismatchException(file, "no " + k, settings.get(k));
            }
        }
        Map<String, INDArray> live = task.parameters();
        for (Map.Entry<String, INDArray> e : live.entrySet()) {
            INDArray saved = c.params().get(e.getKey());
            if (saved == null || !Arrays.equals(saved.shape(), e.getValue().shape())) {
                throw new CheckpointMismatchException(file, e.getKey() + " of shape " + (saved == null ? "none"
                        : Arrays.toString(saved.shape())), Arrays.toString(e.getValue().shape()));
            }
        }
        if (!live.keySet().containsAll(c.first().keySet()) || !live.keySet().containsAll(c.second().keySet())) {
            throw new CheckpointMismatchException(file, "optimizer moments of " + live.keySet(), "moments of "
                    + c.first().keySet());
        }
        live.forEach((k, a) -> a.assign(c.params().get(k).castTo(a.dataType())));
        Map<String, INDArray> m = new LinkedHashMap<>();
        Map<String, INDArray> v = new LinkedHashMap<>();
        c.first().forEach((k, a) -> m.put(k, a.castTo(live.get(k).dataType())));
        c.second().forEach((k, a) -> v.put(k, a.castTo(live.get(k).dataType())));
        adam.restore(c.adamSteps(), m, v);
        LOG.info("resumed from {} at step {} (epoch {}, batch {})", file, c.step(), c.epoch(), c.position());
        return new Position(c.step(), c.epoch(), c.position(), c.lastLoss(), c.lastValidation());
    }
}
