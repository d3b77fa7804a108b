package org.sonarllm.training.lm;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.InvalidInputException;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.training.TrainingConfig;
import org.sonarllm.training.TrainingListener;
import org.sonarllm.training.TrainingLoop;
import org.sonarllm.training.TrainingResult;
import org.sonarllm.training.data.Dataset;
import org.sonarllm.training.eval.LossEvaluator;
import org.sonarllm.training.model.Batch;
import org.sonarllm.training.model.ConceptLMLoss;
import org.sonarllm.training.model.ConceptLMWeights;
import org.sonarllm.training.model.ImportedSonarDecoder;
import org.sonarllm.training.model.Objective;

/**
 * Trains a SONAR-LLM concept LM with cross-entropy through a bundle's frozen SONAR decoder (or with the
 * MSE baseline objective): the concept-LM task plugged into the one {@link TrainingLoop}, which writes
 * {@code checkpoint.bin} (atomically), {@code metrics.csv}, {@code validation.csv} and {@code loss.png}
 * into the output directory and, with {@code resume}, continues from the checkpoint exactly as an
 * uninterrupted run would (same batches, same losses).
 *
 * <pre>{@code
 * ConceptLMTrainer t = ConceptLMTrainer.builder()
 *     .model(ConceptLMConfig.read(Path.of("sonar_llm/config.json")))
 *     .decoder(ImportedSonarDecoder.fromBundle(Path.of("my-bundle")))
 *     .training(TrainingConfig.defaults().withSteps(200))
 *     .outputDir(Path.of("run1"))
 *     .build();
 * t.train(dataset, TrainingListener.NONE);
 * ConceptLMExport.writeCheckpoint(t.config(), t.parameters(), Path.of("run1/model"));
 * }</pre>
 *
 * <p>Not thread-safe: one training run per instance.
 */
public final class ConceptLMTrainer {
    private final ConceptLMConfig config;
    private final Objective objective;
    private final ConceptLMLoss.Anchors anchors;
    private final ImportedSonarDecoder decoder;
    private final TrainingConfig training;
    private final Path outputDir;
    private final boolean resume;
    private final boolean force;
    private final DataType dtype;
    private final ConceptLMLoss loss;

    private ConceptLMTrainer(Builder b) {
        this.config = b.config;
        this.objective = b.objective;
        this.anchors = b.anchors;
        this.decoder = b.decoder;
        this.training = b.training;
        this.outputDir = b.outputDir;
        this.resume = b.resume;
        this.force = b.force;
        this.dtype = b.dtype;
        Map<String, INDArray> init = b.initial != null ? b.initial
                : ConceptLMWeights.random(config, training.seed(), 0.02, dtype);
        this.loss = ConceptLMLoss.create(objective, anchors, config, init, decoder, dtype);
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the model config */
    public ConceptLMConfig config() {
        return config;
    }

    /** @return the optimisation settings */
    public TrainingConfig training() {
        return training;
    }

    /** @return the live concept-LM parameters by checkpoint name */
    public Map<String, INDArray> parameters() {
        return loss.lm().parameters();
    }

    /** @return the concept LM with its objective (the graph trained) */
    public ConceptLMLoss loss() {
        return loss;
    }

    /**
     * Runs (or resumes) training to {@link TrainingConfig#steps()} optimizer steps.
     *
     * @param data the documents
     * @param listener progress callbacks
     * @return the final metrics
     * @throws org.sonarllm.training.EmptyCorpusException if there is no training document
     * @throws org.sonarllm.training.CheckpointMismatchException if the checkpoint belongs to another run
     * @throws org.sonarllm.training.CorruptCheckpointException if the checkpoint cannot be read
     * @throws org.sonarllm.training.TrainingDivergedException if a step's loss is not finite
     */
    public TrainingResult train(Dataset data, TrainingListener listener) {
        ConceptLMTask task = new ConceptLMTask(loss, i -> copy(), data, training.batchSize());
        return new TrainingLoop(training, outputDir, resume, force).run(task, listener);
    }

    /** A replica for another thread: its own graphs and decoder, parameters copied from the live ones. */
    private ConceptLMLoss copy() {
        Map<String, INDArray> p = new LinkedHashMap<>();
        parameters().forEach((k, v) -> p.put(k, v.dup()));
        return ConceptLMLoss.create(objective, anchors, config, p, decoder == null ? null : decoder.copy(), dtype);
    }

    /**
     * Mean loss over documents with the current parameters (CE: per target token; MSE: per element).
     *
     * @param docs documents
     * @return the loss
     */
    public double evaluate(List<Batch.Document> docs) {
        return new LossEvaluator(loss, training.batchSize()).evaluate(docs).loss();
    }

    /** Builder of {@link ConceptLMTrainer}. */
    public static final class Builder {
        private ConceptLMConfig config;
        private Map<String, INDArray> initial;
        private Objective objective = Objective.CE;
        private ConceptLMLoss.Anchors anchors = ConceptLMLoss.Anchors.NONE;
        private ImportedSonarDecoder decoder;
        private TrainingConfig training = TrainingConfig.defaults();
        private Path outputDir;
        private boolean resume;
        private boolean force;
        private DataType dtype = DataType.FLOAT;

        private Builder() {}

        /** @param c model shape @return this */
        public Builder model(ConceptLMConfig c) {
            this.config = c;
            return this;
        }

        /** @param p initial parameters (default: seeded random, N(0, 0.02)) @return this */
        public Builder initialParameters(Map<String, INDArray> p) {
            this.initial = p;
            return this;
        }

        /** @param o CE (default, needs {@link #decoder}) or MSE @return this */
        public Builder objective(Objective o) {
            this.objective = o;
            return this;
        }

        /**
         * @param a CE only: terms added to the token cross-entropy that keep predictions near real sentence
         *     embeddings (default {@link ConceptLMLoss.Anchors#NONE}, pure CE)
         * @return this
         */
        public Builder anchors(ConceptLMLoss.Anchors a) {
            this.anchors = a;
            return this;
        }

        /**
         * @param d the frozen decoder of the CE objective, {@code ImportedSonarDecoder.fromBundle(dir)}
         *     (ignored for MSE); copies are imported for extra workers
         * @return this
         */
        public Builder decoder(ImportedSonarDecoder d) {
            this.decoder = d;
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

        /**
         * @param f without {@link #resume}, start over when the output directory holds a run (otherwise refused)
         * @return this
         */
        public Builder force(boolean f) {
            this.force = f;
            return this;
        }

        /** @param t FLOAT (default) or DOUBLE @return this */
        public Builder dataType(DataType t) {
            this.dtype = t;
            return this;
        }

        /**
         * @return the trainer
         * @throws InvalidInputException without a model config, an output directory or (CE) a decoder
         */
        public ConceptLMTrainer build() {
            if (config == null || outputDir == null || objective == null || anchors == null) {
                throw new InvalidInputException("expected a model config, an objective and an output directory, found "
                        + (config == null ? "no config" : objective == null ? "no objective" : "no output directory"));
            }
            return new ConceptLMTrainer(this);
        }
    }
}
