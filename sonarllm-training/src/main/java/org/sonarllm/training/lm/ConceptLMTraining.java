package org.sonarllm.training.lm;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.InvalidInputException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.lang.Language;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.runtime.RuntimeOptions;
import org.sonarllm.training.RunDirectory;
import org.sonarllm.training.TrainingConfig;
import org.sonarllm.training.TrainingListener;
import org.sonarllm.training.TrainingResult;
import org.sonarllm.training.data.CorpusPipeline;
import org.sonarllm.training.data.CorpusReader;
import org.sonarllm.training.data.Dataset;
import org.sonarllm.training.data.EncodedDatasets;
import org.sonarllm.training.model.Batch;
import org.sonarllm.training.model.ConceptLMLoss;
import org.sonarllm.training.model.ConceptLMWeights;
import org.sonarllm.training.model.ImportedSonarDecoder;
import org.sonarllm.training.model.Objective;

/**
 * One call from a bundle and a corpus to a bundle with a trained concept LM, as {@code ./sonarllm train}
 * does (the command is a thin wrapper of this class): the corpus is read, segmented, encoded by the
 * bundle's encoder and cached; a concept LM (a new one of a paper preset or a shape, or a SONAR-LLM
 * checkpoint to continue from) is trained with CE through the bundle's frozen decoder (or MSE) in the one
 * training loop; the result is written as {@code concept-lm.onnx} into a copy of the bundle, plus the
 * SONAR-LLM checkpoint of the weights ({@code concept_lm_checkpoint/} in the bundle and {@code model/} in
 * the work directory, which also holds {@code checkpoint.bin}, the metrics and the embedding cache).
 *
 * <pre>{@code
 * ConceptLMTraining.Result r = ConceptLMTraining.builder(Path.of("my-bundle"), Path.of("books/"), Path.of("trained-bundle"))
 *         .preset("100M")                                          // or .shape(cfg), or .init(checkpointDir)
 *         .training(TrainingConfig.defaults().withSteps(2000).withBatchSize(8).withWorkers(2))
 *         .listener(new TrainingListener() {
 *             @Override public void onStep(StepMetrics m) { log.info("step {}/{} loss {}", m.step(), m.steps(), m.loss()); }
 *         })
 *         .run();
 * try (SonarModel model = SonarModels.load(r.bundle())) { ... }  // generates with the trained concept LM
 * }</pre>
 *
 * <p>Not thread-safe: one run per builder.
 */
public final class ConceptLMTraining {
    /** Shape of a new concept LM when neither a preset, a shape nor a checkpoint is given (hidden 512, 4 layers). */
    public static final int[] DEFAULT_SHAPE = {512, 4, 8, 8, 64, 1536};
    private static final Logger LOG = LoggerFactory.getLogger(ConceptLMTraining.class);

    private ConceptLMTraining() {}

    /**
     * @param bundle the bundle whose encoder, tokenizer and frozen decoder training uses
     * @param corpus a corpus file or directory ({@link CorpusReader#read}), or null with {@link Builder#dataset}
     * @param out the bundle to write (a copy of {@code bundle} plus the trained concept LM)
     * @return a builder with the CLI's defaults
     */
    public static Builder builder(Path bundle, Path corpus, Path out) {
        return new Builder(bundle, corpus, out);
    }

    /**
     * What a run produced.
     *
     * @param training the loop's result (steps, last loss, validation loss, checkpoint file)
     * @param config the concept LM's shape
     * @param corpus what the corpus pipeline read and encoded
     * @param trainDocuments documents trained on
     * @param validationDocuments documents held out
     * @param bundle the written bundle
     * @param work the work directory (checkpoint, metrics, cache, {@code model/})
     */
    public record Result(TrainingResult training, ConceptLMConfig config, CorpusPipeline.Stats corpus, int trainDocuments,
            int validationDocuments, Path bundle, Path work) {}

    /** Settings of one run; defaults are those of {@code ./sonarllm train}. */
    public static final class Builder {
        private final Path bundle;
        private final Path corpus;
        private final Path out;
        private Path init;
        private Path initFrom;
        private ConceptLMConfig shape;
        private String preset;
        private Objective objective = Objective.CE;
        private ConceptLMLoss.Anchors anchors = ConceptLMLoss.Anchors.NONE;
        private org.sonarllm.generate.StopRules stopDefaults;
        private Language language = Language.ENGLISH;
        private TrainingConfig training = TrainingConfig.defaults();
        private int maxSentences = 32;
        private double validation = 0.05;
        private Path work;
        private boolean resume;
        private boolean force;
        private Path dataset;
        private java.util.function.Consumer<Path> onExport = p -> { };
        private TrainingListener listener = TrainingListener.NONE;
        private CorpusPipeline.Progress encoding = (done, total) -> {};
        private java.util.function.Consumer<ConceptLMConfig> onModel = c -> {};
        private java.util.function.Consumer<Result> onCorpus = r -> {};

        private Builder(Path bundle, Path corpus, Path out) {
            this.bundle = bundle;
            this.corpus = corpus;
            this.out = out;
        }

        /** @param dir a SONAR-LLM checkpoint to continue from (config.json + model.safetensors) @return this */
        public Builder init(Path dir) {
            this.init = dir;
            return this;
        }

        /** @param bundle a bundle whose concept LM to continue from (its shape and weights) @return this */
        public Builder initFrom(Path bundle) {
            this.initFrom = bundle;
            return this;
        }

        /** @param cfg the shape of a new concept LM (seeded N(0, 0.02) weights) @return this */
        public Builder shape(ConceptLMConfig cfg) {
            this.shape = cfg;
            return this;
        }

        /** @param name a paper preset ({@link ConceptLMConfig#presetNames()}) for a new concept LM @return this */
        public Builder preset(String name) {
            this.preset = name;
            return this;
        }

        /** @param o CE (default) or MSE @return this */
        public Builder objective(Objective o) {
            this.objective = o;
            return this;
        }

        /**
         * @param a CE only: terms added to the loss (default none, pure CE; {@link ConceptLMLoss.Anchors})
         * @return this
         */
        public Builder anchors(ConceptLMLoss.Anchors a) {
            this.anchors = a;
            return this;
        }

        /**
         * @param rules stop rules recorded in the exported bundle as its generation defaults (the concept LM's
         *     {@code generation} property, {@link org.sonarllm.generate.ModelDefaults}); default none (the
         *     paper's rules)
         * @return this
         */
        public Builder stopDefaults(org.sonarllm.generate.StopRules rules) {
            this.stopDefaults = rules;
            return this;
        }

        /** @param l the corpus language (segmentation, encoder language tag) @return this */
        public Builder language(Language l) {
            this.language = l;
            return this;
        }

        /** @param t optimisation settings (steps, batch, workers, ...) @return this */
        public Builder training(TrainingConfig t) {
            this.training = t;
            return this;
        }

        /** @param n positions per document including the end of sequence (default 32) @return this */
        public Builder maxSentences(int n) {
            this.maxSentences = n;
            return this;
        }

        /** @param share share of documents held out for validation (default 0.05) @return this */
        public Builder validation(double share) {
            this.validation = share;
            return this;
        }

        /** @param dir checkpoint, metrics and cache (default: {@code OUT.work} beside the output bundle) @return this */
        public Builder workDir(Path dir) {
            this.work = dir;
            return this;
        }

        /** @param r continue from the work directory's checkpoint when present @return this */
        public Builder resume(boolean r) {
            this.resume = r;
            return this;
        }

        /**
         * @param f without {@link #resume}, start over when the work directory holds a run (its checkpoint and
         *     metrics are removed; the embedding cache is kept) and replace a bundle at {@code out}
         * @return this
         */
        public Builder force(boolean f) {
            this.force = f;
            return this;
        }

        /**
         * @param dir a complete JSON-lines encoded dataset ({@link EncodedDatasets}: {@code encode-corpus
         *     --format jsonl}) to train on instead of the corpus (exactly one of the two); its metadata must match
         *     the bundle (manifest hash, sentence dimension, decoder limit) and {@link #maxSentences}
         * @return this
         */
        public Builder dataset(Path dir) {
            this.dataset = dir;
            return this;
        }

        /**
         * @param c called with the complete exported bundle in its temporary folder beside {@code out}, just
         *     before it is renamed to {@code out}
         * @return this
         */
        public Builder onExport(java.util.function.Consumer<Path> c) {
            this.onExport = c;
            return this;
        }

        /** @param l step, epoch and checkpoint callbacks @return this */
        public Builder listener(TrainingListener l) {
            this.listener = l;
            return this;
        }

        /** @param p called while the corpus is encoded @return this */
        public Builder encodingProgress(CorpusPipeline.Progress p) {
            this.encoding = p;
            return this;
        }

        /** @param c called with the concept LM's shape before anything is read @return this */
        public Builder onModel(java.util.function.Consumer<ConceptLMConfig> c) {
            this.onModel = c;
            return this;
        }

        /**
         * @param c called once the corpus is ready, before training (its {@code training} is null)
         * @return this
         */
        public Builder onCorpus(java.util.function.Consumer<Result> c) {
            this.onCorpus = c;
            return this;
        }

        /**
         * Runs the whole pipeline. Settings, the output folders and the corpus (or dataset) are checked before
         * the bundle is loaded; the work directory is locked for the run; the bundle is exported atomically (a
         * temporary folder beside {@code out}, renamed at the end). Resuming a finished run whose export is
         * complete changes nothing and returns its final metrics; a finished run without its export exports.
         *
         * @return what was trained and written
         * @throws InvalidInputException on a missing bundle or corpus, conflicting model choices, a setting out of
         *     range, a concept LM of another dimension than the bundle's or too large for the memory, a work
         *     directory holding a run without resume or force, or a dataset encoded for another bundle
         * @throws org.sonarllm.training.RunLockedException if another run holds the work directory
         * @throws org.sonarllm.training.EmptyCorpusException if no document is usable
         * @throws org.sonarllm.training.CheckpointMismatchException if {@code resume} finds another run's checkpoint
         * @throws org.sonarllm.training.TrainingDivergedException if a step's loss is not finite
         */
        public Result run() {
            checkSettings();
            Path workDir = work != null ? work : out.resolveSibling(out.getFileName() + ".work");
            try (RunDirectory held = RunDirectory.open(workDir, resume, force)) {
                if (!resume && !force) {
                    refuseExistingBundle();
                }
                BundleManifest manifest = Bundle.readManifest(bundle);
                int d = manifest.dimensions().model();
                ConceptLMConfig cfg;
                Map<String, INDArray> initial = null;
                if (init != null) {
                    cfg = ConceptLMConfig.read(init.resolve("config.json"));
                } else if (initFrom != null) {
                    ConceptLMWeights.Loaded lm = ConceptLMWeights.fromBundle(initFrom, DataType.FLOAT);
                    cfg = lm.config();
                    initial = lm.parameters();
                } else if (preset != null) {
                    cfg = ConceptLMConfig.preset(preset);
                } else if (shape != null) {
                    cfg = shape;
                } else {
                    int[] s = DEFAULT_SHAPE;
                    cfg = ConceptLMConfig.llama(d, s[0], s[1], s[2], s[3], s[4], s[5]);
                }
                onModel.accept(cfg);
                if (cfg.sonarDim() != d) {
                    throw new InvalidInputException("expected a concept LM of dimension " + d + " for this bundle, found "
                            + cfg.sonarDim());
                }
                TrainingMemory.check(cfg);
                if (init != null) {
                    initial = ConceptLMWeights.fromSafeTensors(init.resolve("model.safetensors"), cfg, DataType.FLOAT);
                }
                Loaded data = dataset != null ? fromDataset(manifest, workDir) : fromCorpus(workDir);
                onCorpus.accept(new Result(null, cfg, data.stats(), data.data().train().size(),
                        data.data().validation().size(), out, workDir));
                ConceptLMTrainer trainer = ConceptLMTrainer.builder().model(cfg).initialParameters(initial)
                        .objective(objective).anchors(anchors)
                        .decoder(objective == Objective.CE ? ImportedSonarDecoder.fromBundle(bundle) : null)
                        .training(training).outputDir(workDir).resume(resume).force(force).build();
                TrainingResult r = trainer.train(data.data(), listener);
                ExportMarker marker = new ExportMarker(workDir, out);
                if (marker.done(r.steps())) {
                    LOG.info("{} already holds the export of step {}: nothing to do", out, r.steps());
                } else {
                    Map<String, INDArray> kept = r.best() != null ? r.bestParameters() : trainer.parameters();
                    ConceptLMExport.writeCheckpoint(cfg, kept, workDir.resolve("model"));
                    ConceptLMExport.toBundle(cfg, kept, bundle, out, staged -> {
                        recordDefaults(staged);
                        onExport.accept(staged);
                    });
                    marker.write(r.steps());
                }
                return new Result(r, cfg, data.stats(), data.data().train().size(), data.data().validation().size(), out,
                        workDir);
            }
        }

        /** What training reads: the split documents and what the corpus pipeline counted. */
        private record Loaded(Dataset data, CorpusPipeline.Stats stats) {}

        private void checkSettings() {
            if (!Files.isDirectory(bundle)) {
                throw new InvalidInputException("expected a bundle directory, found nothing at " + bundle);
            }
            if ((corpus == null) == (dataset == null)) {
                throw new InvalidInputException("expected exactly one of a corpus and an encoded dataset, found "
                        + (corpus == null ? "neither" : "both"));
            }
            int chosen = (init != null ? 1 : 0) + (initFrom != null ? 1 : 0) + (shape != null ? 1 : 0) + (preset != null ? 1 : 0);
            if (chosen > 1) {
                throw new InvalidInputException("expected at most one of a checkpoint, a bundle to continue from, a shape and a preset, found " + chosen);
            }
            if (!(validation >= 0 && validation < 1)) {
                throw new InvalidInputException("expected a validation share in [0, 1), found " + TrainingConfig.format(validation));
            }
            if (training.patience() > 0 && validation == 0 && dataset == null) {
                throw new InvalidInputException("expected a validation share > 0 with a patience of " + training.patience()
                        + " epochs, found 0");
            }
            if (maxSentences < 2) {
                throw new InvalidInputException("expected max sentences >= 2 (one sentence plus the end of sequence), found "
                        + maxSentences);
            }
            if (objective == null || language == null || training == null) {
                throw new InvalidInputException("expected an objective, a language and training settings, found none");
            }
            if (corpus != null && !Files.exists(corpus)) {
                throw new InvalidInputException("expected a corpus file or directory, found nothing at " + corpus);
            }
        }

        /** Writes the stop defaults (when set) into the staged bundle's concept-LM properties. */
        private void recordDefaults(Path staged) {
            if (stopDefaults == null) {
                return;
            }
            BundleManifest m = Bundle.readManifest(staged);
            BundleManifest.Component c = m.components().get(BundleManifest.CONCEPT_LM);
            Map<String, Object> props = new java.util.LinkedHashMap<>(c.properties());
            props.put(org.sonarllm.generate.ModelDefaults.GENERATION, org.sonarllm.generate.ModelDefaults.properties(stopDefaults));
            org.sonarllm.bundle.BundleWriter.writeManifest(staged, m.withComponent(BundleManifest.CONCEPT_LM,
                    new BundleManifest.Component(c.files(), props)));
        }

        private void refuseExistingBundle() {
            boolean empty;
            try (java.util.stream.Stream<Path> files = Files.list(out)) {
                empty = files.findAny().isEmpty();
            } catch (java.io.IOException e) {
                empty = !Files.exists(out);
            }
            if (!empty) {
                throw new InvalidInputException("expected no bundle at " + out + ", found one: continue its run with "
                        + "--resume (resume(true)) or replace it with --force (force(true))");
            }
        }

        private Loaded fromCorpus(Path workDir) {
            List<CorpusReader.RawDocument> raw = CorpusReader.read(corpus);
            // sessions on first use: encoding needs only the encoder (none at all when the cache has every document),
            // and all of them are closed before training starts
            try (SonarLlm llm = SonarLlm.load(bundle, RuntimeOptions.builder().lazySessions(true).build())) {
                CorpusPipeline pipeline = CorpusPipeline.forBundle(llm, language,
                        new CorpusPipeline.Options(maxSentences, validation, training.seed(), 256), workDir.resolve("cache"));
                Dataset data = pipeline.load(raw, encoding);
                return new Loaded(data, pipeline.stats());
            }
        }

        private Loaded fromDataset(BundleManifest manifest, Path workDir) {
            JsonNode meta = EncodedDatasets.metadata(dataset);
            String where = dataset.resolve(EncodedDatasets.METADATA).toString();
            int d = manifest.dimensions().model();
            expect(where, "a sentence dimension of " + d + " (the bundle's)", d, meta.path("dimension").asInt(-1));
            expect(where, "max sentences " + maxSentences + " (the training setting)", maxSentences,
                    meta.path("maxSentences").asInt(-1));
            int limit = meta.path("decoderLimit").asInt(-1);
            int positions = manifest.dimensions().maxPositions();
            if (limit < 3 || limit > positions) {
                throw new InvalidInputException(where + ": expected a decoder limit in 3.." + positions
                        + " (the bundle's decoder positions), found " + limit);
            }
            String sha = Bundle.sha256(bundle.resolve(BundleManifest.MANIFEST_FILE));
            String found = meta.path("bundleManifestSha256").asText("");
            if (!sha.equals(found)) {
                throw new InvalidInputException(where + ": expected a dataset encoded with this bundle (manifest sha256 "
                        + sha + "), found " + (found.isEmpty() ? "none" : found));
            }
            EncodedDatasets.Loaded ds = EncodedDatasets.read(dataset, validation, training.seed());
            long sentences = 0;
            for (Batch.Document doc : ds.documents()) {
                sentences += doc.embeddings().length - 1;
            }
            CorpusPipeline.Stats stats = new CorpusPipeline.Stats(ds.documents().size(), meta.path("skipped").asInt(0),
                    sentences, meta.path("truncated").asLong(0), 0, 0);
            return new Loaded(ds.dataset(), stats);
        }

        private static void expect(String where, String what, int want, int found) {
            if (want != found) {
                throw new InvalidInputException(where + ": expected " + what + ", found " + found);
            }
        }
    }
}
