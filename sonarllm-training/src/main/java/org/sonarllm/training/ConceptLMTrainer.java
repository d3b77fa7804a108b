package org.sonarllm.training;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.training.data.Dataset;
import org.sonarllm.training.internal.Checkpoint;
import org.sonarllm.training.internal.MetricsFiles;
import org.sonarllm.training.model.Batch;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.training.model.ConceptLMWeights;
import org.sonarllm.training.model.FrozenSonarDecoder;
import org.sonarllm.training.model.ImportedSonarDecoder;
import org.sonarllm.training.model.Objective;
import org.sonarllm.training.model.TrainingGraph;
import org.sonarllm.training.optim.AdamW;
import org.sonarllm.training.optim.CosineSchedule;
import org.sonarllm.training.optim.GradientClipping;

/**
 * Trains a SONAR-LLM concept LM through the frozen SONAR decoder (or with the MSE baseline
 * objective). Writes {@code checkpoint.bin} (atomically), {@code metrics.csv},
 * {@code validation.csv} and {@code loss.png} into the output directory; with {@code resume} it
 * continues from the checkpoint exactly as an uninterrupted run would (same batches, same losses).
 *
 * <pre>{@code
 * ConceptLMTrainer t = ConceptLMTrainer.builder()
 *     .model(ConceptLMConfig.read(Path.of("sonar_llm/config.json")))
 *     .decoder(FrozenSonarDecoder.load(Path.of("decoder")))
 *     .training(TrainingConfig.defaults().withSteps(200))
 *     .outputDir(Path.of("run1"))
 *     .build();
 * t.train(dataset, new TrainingListener() {});
 * ConceptLMExport.writeCheckpoint(t.config(), t.parameters(), Path.of("run1/model"));
 * }</pre>
 *
 * <p>Not thread-safe: one training run per instance.
 */
public final class ConceptLMTrainer {
    /** Checkpoint file name in the output directory. */
    public static final String CHECKPOINT = "checkpoint.bin";
    private static final Logger LOG = LoggerFactory.getLogger(ConceptLMTrainer.class);

    private final ConceptLMConfig config;
    private final TrainingConfig training;
    private final Path outputDir;
    private final boolean resume;
    private final TrainingGraph graph;
    private final AdamW adam;
    private final CosineSchedule schedule;

    private ConceptLMTrainer(Builder b) {
        this.config = b.config;
        this.training = b.training;
        this.outputDir = b.outputDir;
        this.resume = b.resume;
        Map<String, INDArray> init = b.initial != null ? b.initial
                : ConceptLMWeights.random(config, training.seed(), 0.02, b.dtype);
        this.graph = b.imported != null && training.objective() == Objective.CE
                ? TrainingGraph.buildImported(config, init, b.imported, b.dtype)
                : TrainingGraph.build(config, init, b.decoder, training.objective(), b.dtype);
        this.adam = new AdamW(training.beta1(), training.beta2(), training.adamEps(), training.weightDecay());
        this.schedule = new CosineSchedule(training.learningRate(), Math.min(training.minLearningRate(), training.learningRate()),
                training.warmupSteps(), training.steps());
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the model config */
    public ConceptLMConfig config() {
        return config;
    }

    /** @return the live concept-LM parameters by checkpoint name */
    public Map<String, INDArray> parameters() {
        return graph.lm().parameters();
    }

    /** @return the training graph (concept LM + frozen decoder + loss) */
    public TrainingGraph graph() {
        return graph;
    }

    private String fingerprint(Dataset data) {
        return config + "|" + graph.objective() + "|" + graph.dtype() + "|batch=" + training.batchSize() + "|acc="
                + training.accumulation() + "|steps=" + training.steps() + "|seed=" + training.seed() + "|train="
                + data.train().size();
    }

    private List<Integer> order(int epoch, int n) {
        List<Integer> idx = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            idx.add(i);
        }
        Collections.shuffle(idx, new Random(training.seed() * 1_000_003L + epoch));
        return idx;
    }

    /**
     * Runs (or resumes) training to {@link TrainingConfig#steps()} optimizer steps.
     *
     * @param data the documents
     * @param listener progress callbacks
     * @return the final metrics
     */
    public TrainingResult train(Dataset data, TrainingListener listener) {
        if (data.train().isEmpty()) {
            throw new InvalidInputException("expected at least one training document, found none (empty corpus?)");
        }
        try {
            Files.createDirectories(outputDir);
        } catch (java.io.IOException e) {
            throw new org.sonarllm.SonarLlmException("cannot create " + outputDir + ": " + e.getMessage(), e);
        }
        Path ckptFile = outputDir.resolve(CHECKPOINT);
        String fp = fingerprint(data);
        long step = 0;
        int epoch = 0;
        int pos = 0;
        if (resume && Files.exists(ckptFile)) {
            Checkpoint c = Checkpoint.read(ckptFile);
            if (!c.fingerprint().equals(fp)) {
                throw new ModelFormatException("mismatched checkpoint " + ckptFile + ": expected run " + fp + ", found " + c.fingerprint());
            }
            Map<String, INDArray> live = parameters();
            for (Map.Entry<String, INDArray> e : live.entrySet()) {
                INDArray saved = c.params().get(e.getKey());
                if (saved == null || !java.util.Arrays.equals(saved.shape(), e.getValue().shape())) {
                    throw new ModelFormatException("mismatched checkpoint " + ckptFile + ": expected " + e.getKey()
                            + " of shape " + java.util.Arrays.toString(e.getValue().shape()) + ", found "
                            + (saved == null ? "none" : java.util.Arrays.toString(saved.shape())));
                }
                e.getValue().assign(saved.castTo(e.getValue().dataType()));
            }
            Map<String, INDArray> m = new LinkedHashMap<>();
            Map<String, INDArray> v = new LinkedHashMap<>();
            c.first().forEach((k, a) -> m.put(k, a.castTo(graph.dtype())));
            c.second().forEach((k, a) -> v.put(k, a.castTo(graph.dtype())));
            adam.restore(c.adamSteps(), m, v);
            step = c.step();
            epoch = c.epoch();
            pos = c.position();
            LOG.info("resumed from {} at step {} (epoch {}, position {})", ckptFile, step, epoch, pos);
        }
        MetricsFiles metrics = new MetricsFiles(outputDir);
        metrics.reset(step);
        int n = data.train().size();
        List<Integer> order = order(epoch, n);
        double lastLoss = Double.NaN;
        double lastVal = Double.NaN;
        List<String> names = graph.lm().parameterNames();
        while (step < training.steps()) {
            long t0 = System.nanoTime();
            Map<String, INDArray> sum = null;
            double lossSum = 0;
            long sentences = 0;
            long tokens = 0;
            for (int a = 0; a < training.accumulation(); a++) {
                if (pos >= n) {
                    lastVal = endEpoch(data, epoch, step, listener, metrics);
                    epoch++;
                    pos = 0;
                    order = order(epoch, n);
                }
                List<Batch.Document> docs = new ArrayList<>();
                for (int i = pos; i < Math.min(n, pos + training.batchSize()); i++) {
                    docs.add(data.train().get(order.get(i)));
                }
                pos += docs.size();
                Batch batch = new Batch(docs, 2);
                TrainingGraph.Step og = graph.step(batch);
                lossSum += og.loss();
                sentences += batch.predictions();
                tokens += graph.objective() == Objective.CE ? batch.targetTokens() : 0;
                if (sum == null) {
                    sum = new LinkedHashMap<>();
                    for (String k : names) {
                        sum.put(k, og.gradients().get(k).dup());
                    }
                } else {
                    for (String k : names) {
                        sum.get(k).addi(og.gradients().get(k));
                    }
                }
            }
            for (INDArray g : sum.values()) {
                g.divi(training.accumulation());
            }
            double norm = GradientClipping.clip(sum, training.clipNorm());
            double lr = schedule.at(step);
            adam.step(parameters(), sum, lr);
            step++;
            lastLoss = lossSum / training.accumulation();
            if (!Double.isFinite(lastLoss)) {
                throw new org.sonarllm.SonarLlmException("training diverged: expected a finite loss, found " + lastLoss
                        + " at step " + step + " (lower the learning rate)");
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            metrics.step(step, epoch, lastLoss, lr, norm, sentences, tokens, secs);
            listener.onStep(new TrainingListener.StepMetrics(step, epoch, lastLoss, lr, norm, sentences, tokens, secs));
            if (step % training.checkpointEvery() == 0 || step == training.steps()) {
                new Checkpoint(fp, step, epoch, pos, training.seed(), adam.steps(), parameters(), adam.firstMoments(),
                        adam.secondMoments()).write(ckptFile);
                listener.onCheckpoint(step, ckptFile);
            }
        }
        if (training.validateEveryEpoch() && !data.validation().isEmpty()) {
            lastVal = evaluate(data.validation());
            metrics.validation(epoch, step, lastVal);
            listener.onEpoch(new TrainingListener.EpochMetrics(epoch, step, lastVal));
        }
        metrics.plot();
        return new TrainingResult(step, epoch, lastLoss, lastVal, ckptFile);
    }

    private double endEpoch(Dataset data, int epoch, long step, TrainingListener listener, MetricsFiles metrics) {
        double val = Double.NaN;
        if (training.validateEveryEpoch() && !data.validation().isEmpty()) {
            val = evaluate(data.validation());
            metrics.validation(epoch, step, val);
        }
        listener.onEpoch(new TrainingListener.EpochMetrics(epoch, step, val));
        metrics.plot();
        return val;
    }

    /**
     * Mean loss over documents with the current parameters (CE: per target token; MSE: per element).
     *
     * @param docs documents
     * @return the loss, and the tokens (CE) or predictions (MSE) it averages over
     */
    public double evaluate(List<Batch.Document> docs) {
        return evaluateWithCount(docs)[0];
    }

    /**
     * @param docs documents
     * @return {loss, count}: count is target tokens (CE) or predicted sentences (MSE)
     */
    public double[] evaluateWithCount(List<Batch.Document> docs) {
        if (docs.isEmpty()) {
            throw new InvalidInputException("expected at least one document to evaluate, found none");
        }
        double sum = 0;
        double count = 0;
        for (int i = 0; i < docs.size(); i += training.batchSize()) {
            Batch b = new Batch(docs.subList(i, Math.min(docs.size(), i + training.batchSize())), 2);
            double w = graph.objective() == Objective.CE ? b.targetTokens() : b.predictions();
            sum += graph.loss(b) * w;
            count += w;
        }
        return new double[] {sum / count, count};
    }

    /**
     * Outcome of {@link #train}.
     *
     * @param steps optimizer steps taken in total
     * @param epochs epoch index reached
     * @param lastLoss training loss of the last step
     * @param validationLoss last validation loss (NaN without validation data)
     * @param checkpoint the checkpoint file
     */
    public record TrainingResult(long steps, int epochs, double lastLoss, double validationLoss, Path checkpoint) {}

    /** Builder of {@link ConceptLMTrainer}. */
    public static final class Builder {
        private ConceptLMConfig config;
        private Map<String, INDArray> initial;
        private FrozenSonarDecoder decoder;
        private ImportedSonarDecoder imported;
        private TrainingConfig training = TrainingConfig.defaults();
        private Path outputDir;
        private boolean resume;
        private DataType dtype = DataType.FLOAT;

        private Builder() {}

        /** @param c model shape @return this */
        public Builder model(ConceptLMConfig c) {
            this.config = c;
            return this;
        }

        /** @param p initial parameters (default: seeded random) @return this */
        public Builder initialParameters(Map<String, INDArray> p) {
            this.initial = p;
            return this;
        }

        /** @param d the frozen decoder (required for CE) @return this */
        public Builder decoder(FrozenSonarDecoder d) {
            this.decoder = d;
            return this;
        }

        /**
         * CE through the decoder imported from a bundle's {@code decoder_training.onnx} (used instead of
         * {@link #decoder} when set), e.g. {@code .importedDecoder(ImportedSonarDecoder.fromBundle(dir))}.
         *
         * @param d the imported frozen decoder @return this
         */
        public Builder importedDecoder(ImportedSonarDecoder d) {
            this.imported = d;
            return this;
        }

        /** @param t optimisation settings @return this */
        public Builder training(TrainingConfig t) {
            this.training = t;
            return this;
        }

        /** @param dir where checkpoint and metrics go @return this */
        public Builder outputDir(Path dir) {
            this.outputDir = dir;
            return this;
        }

        /** @param r continue from the output directory's checkpoint when present @return this */
        public Builder resume(boolean r) {
            this.resume = r;
            return this;
        }

        /** @param t FLOAT (default) or DOUBLE @return this */
        public Builder dataType(DataType t) {
            this.dtype = t;
            return this;
        }

        /** @return the trainer */
        public ConceptLMTrainer build() {
            if (config == null || outputDir == null) {
                throw new InvalidInputException("expected a model config and an output directory, found "
                        + (config == null ? "no config" : "no output directory"));
            }
            return new ConceptLMTrainer(this);
        }
    }
}
