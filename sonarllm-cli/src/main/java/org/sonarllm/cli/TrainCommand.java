package org.sonarllm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.generate.StopRules;
import org.sonarllm.lang.Language;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.training.TrainingConfig;
import org.sonarllm.training.TrainingListener;
import org.sonarllm.training.lm.ConceptLMTraining;
import org.sonarllm.training.model.ConceptLMLoss;
import org.sonarllm.training.model.Objective;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm train --model BUNDLE --corpus PATH --out BUNDLE [options]}: trains a concept LM on a
 * corpus through the bundle's frozen SONAR decoder (or with MSE) and writes a bundle whose
 * {@code concept-lm.onnx} Generator runs. Progress goes to stderr; one JSON summary line to stdout.
 *
 * <pre>{@code
 * ./sonarllm train --model bundle --init sonar_llm --corpus books/ --out my-bundle --steps 200
 * ./sonarllm train --model sonar-bundle --init-from sonar-bundle --corpus books/ --out tuned --steps 200
 * }</pre>
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a SONAR-LLM concept LM on a corpus (CE through the bundle's frozen decoder, or MSE).")
final class TrainCommand extends Nd4jCommand {
    static final String DEFAULT_SHAPE = "512,4,8,8,64,1536"; // ConceptLMTraining.DEFAULT_SHAPE

    @Option(names = "--model", required = true, paramLabel = "BUNDLE",
            description = "Bundle with encoder, tokenizer and the frozen decoder (decoder_training.onnx).")
    Path bundle;

    @Option(names = "--corpus", paramLabel = "PATH", description = ".txt/.jsonl file or directory (or --dataset).")
    Path corpus;

    @Option(names = "--dataset", paramLabel = "DIR",
            description = "A JSON-lines dataset of encode-corpus --format jsonl, instead of --corpus.")
    Path dataset;

    @Option(names = "--out", required = true, paramLabel = "BUNDLE", description = "Output bundle (copy of --model plus the trained concept LM).")
    Path out;

    @Option(names = "--init", paramLabel = "DIR", description = "SONAR-LLM checkpoint (config.json + model.safetensors) to start from.")
    Path init;

    @Option(names = "--init-from", paramLabel = "BUNDLE",
            description = "Start from the concept LM of a bundle (any converted bundle with one, or a train output).")
    Path initFrom;

    @Option(names = "--shape", paramLabel = "H,L,HEADS,KV,HEAD_DIM,FFN",
            description = "Shape of a new concept LM when --init and --preset are absent (default: " + DEFAULT_SHAPE + ").")
    String shape;

    @Option(names = "--preset", paramLabel = "NAME",
            description = "A SONAR-LLM paper shape for a new concept LM (sonar dim 1024): 100M, 300M, 600M or 900M.")
    String preset;

    @Option(names = "--objective", defaultValue = "ce", description = "ce or mse (default: ${DEFAULT-VALUE}).")
    String objective;

    @Option(names = "--lang", defaultValue = "eng_Latn", converter = LanguageConverter.class, description = "Corpus language.")
    Language lang;

    @Option(names = "--steps", defaultValue = "1000") long steps;
    @Option(names = "--batch-size", defaultValue = "8", description = "Documents per micro-batch.") int batchSize;
    @Option(names = "--accumulation", defaultValue = "1") int accumulation;
    @Option(names = "--lr", defaultValue = "3e-4") double lr;
    @Option(names = "--min-lr", defaultValue = "3e-5") double minLr;
    @Option(names = "--warmup", defaultValue = "100") long warmup;
    @Option(names = "--weight-decay", defaultValue = "0.1") double weightDecay;
    @Option(names = "--clip", defaultValue = "1.0") double clip;
    @Option(names = "--seed", defaultValue = "42") long seed;
    @Option(names = "--checkpoint-every", defaultValue = "100") long checkpointEvery;
    @Option(names = "--patience", defaultValue = "0", paramLabel = "EPOCHS",
            description = "Validation-based stopping: stop after this many epochs without a better validation loss and "
                    + "export the best epoch's concept LM (0 = off, export the last).") int patience;
    @Option(names = "--mse-weight", defaultValue = "0", paramLabel = "LAMBDA",
            description = "ce only: add LAMBDA x the MSE to the next embedding to the loss (0 = pure CE).") double mseWeight;
    @Option(names = "--norm-weight", defaultValue = "0", paramLabel = "LAMBDA",
            description = "ce only: add LAMBDA x mean((|prediction| - |next embedding|)^2) to the loss (0 = none).")
    double normWeight;
    @Option(names = "--prediction-noise", defaultValue = "0", paramLabel = "SIGMA",
            description = "ce only: while training, the decoder sees each prediction plus Gaussian noise of SIGMA x the "
                    + "true next embedding's RMS, so that it must decode its sentence over a neighbourhood (0 = none, at "
                    + "most 2).")
    double predictionNoise;
    @Option(names = "--entropy-weight", defaultValue = "0", paramLabel = "BETA",
            description = "ce only: add BETA x the mean entropy of the decoder's token distributions to the loss, "
                    + "rewarding predictions the decoder is sure about (0 = none).")
    double entropyWeight;
    @Option(names = "--repetition", paramLabel = "MODE",
            description = "Record a repetition stop in the bundle's generation defaults: off, keep_and_stop or "
                    + "drop_and_stop (default: none recorded, the paper's rules).") String repetition;
    @Option(names = "--repetition-threshold", defaultValue = "0.9", paramLabel = "X",
            description = "Cosine of the recorded repetition stop (default ${DEFAULT-VALUE}).") double repetitionThreshold;
    @Option(names = "--repetition-overlap", defaultValue = "1", paramLabel = "X",
            description = "Word-pair overlap of the recorded repetition stop, in [0, 1]; 1 = none (default ${DEFAULT-VALUE}).")
    double repetitionOverlap;
    @Option(names = "--workers", defaultValue = "1", description = "Graph replicas on threads, each taking part of a micro-batch.") int workers;
    @Option(names = "--max-sentences", defaultValue = "32", description = "Positions per document incl. end of sequence.") int maxSentences;
    @Option(names = "--validation", defaultValue = "0.05", description = "Share of documents held out.") double validation;
    @Option(names = "--work", paramLabel = "DIR", description = "Checkpoint, metrics and cache (default: OUT.work).") Path work;
    @Option(names = "--resume", description = "Continue from the checkpoint in the work directory (a finished run: nothing to do).") boolean resume;
    @Option(names = "--force", description = "Start over when the work directory holds a run, replacing --out.") boolean force;

    private StopRules stopDefaults() {
        if (repetition == null) {
            return null;
        }
        StopRules.RepetitionAction action;
        try {
            action = StopRules.RepetitionAction.valueOf(repetition.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException("expected --repetition off, keep_and_stop or drop_and_stop, found " + repetition);
        }
        return StopRules.paper().withRepetition(action, repetitionThreshold).withRepetitionOverlap(repetitionOverlap);
    }

    @Override
    protected int body() throws Exception {
        if (!Files.isDirectory(bundle)) {
            throw new UsageException("bundle directory not found: " + bundle);
        }
        Objective obj = Objective.parse(objective);
        if (preset != null && (init != null || shape != null)) {
            throw new UsageException("--preset cannot be combined with --init or --shape");
        }
        if (initFrom != null && (init != null || shape != null || preset != null)) {
            throw new UsageException("--init-from cannot be combined with --init, --shape or --preset");
        }
        if (init != null && shape != null) {
            throw new UsageException("--shape cannot be combined with --init");
        }
        if ((corpus == null) == (dataset == null)) {
            throw new UsageException("expected exactly one of --corpus and --dataset, found " + (corpus == null ? "neither" : "both"));
        }
        if (resume && force) {
            throw new UsageException("--resume cannot be combined with --force");
        }
        ConceptLMTraining.Builder b = ConceptLMTraining.builder(bundle, corpus, out).dataset(dataset).force(force)
                .objective(obj).anchors(new ConceptLMLoss.Anchors(mseWeight, normWeight, predictionNoise, entropyWeight)).stopDefaults(stopDefaults()).language(lang).maxSentences(maxSentences).validation(validation).resume(resume)
                .training(new TrainingConfig(steps, batchSize, accumulation, lr, minLr, Math.min(warmup, steps),
                        weightDecay, 0.9, 0.95, 1e-8, clip, seed, checkpointEvery, true, workers, patience))
                .listener(progress(stderr()))
                .encodingProgress((done, total) -> stderr().printf("encoding: %d/%d documents%n", done, total))
                .onModel(cfg -> stderr().printf("concept LM: sonar dim %d, hidden %d, layers %d, heads %d (kv %d) x %d, "
                        + "ffn %d: %d parameters%n", cfg.sonarDim(), cfg.hidden(), cfg.layers(), cfg.heads(), cfg.kvHeads(),
                        cfg.headDim(), cfg.intermediate(), cfg.parameterCount()))
                .onCorpus(c -> stderr().printf("corpus: %d documents (%d train, %d validation), %d sentences, %d truncated, "
                        + "%d skipped%n", c.corpus().documents(), c.trainDocuments(), c.validationDocuments(),
                        c.corpus().sentences(), c.corpus().truncated(), c.corpus().skipped()))
                .onExport(p -> stderr().printf("export: %s complete, renaming it to %s%n", p, out));
        if (work != null) {
            b.workDir(work);
        }
        if (init != null) {
            b.init(init);
        } else if (initFrom != null) {
            b.initFrom(initFrom);
        } else if (preset != null) {
            b.preset(preset);
        } else if (shape != null) {
            b.shape(shape(shape, Bundle.readManifest(bundle).dimensions().model()));
        }
        ConceptLMTraining.Result r = b.run();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("steps", r.training().steps());
        summary.put("loss", r.training().lastLoss());
        summary.put("validation_loss", Double.isNaN(r.training().validationLoss()) ? null : r.training().validationLoss());
        if (r.training().best() != null) {
            summary.put("best_validation_loss", r.training().bestValidationLoss());
        }
        summary.put("out", r.bundle().toString());
        summary.put("work", r.work().toString());
        json().write(summary);
        return 0;
    }

    /** Step and validation lines on stderr, shared by the training commands. */
    static TrainingListener progress(java.io.PrintStream err) {
        return new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                err.printf("step %d/%d %s loss %.5f lr %.3g grad %.3g (%.2fs)%n", m.step(), m.steps(), m.phase(), m.loss(),
                        m.learningRate(), m.gradNorm(), m.seconds());
            }

            @Override
            public void onEpoch(EpochMetrics m) {
                err.printf("epoch %d: validation loss %.5f%n", m.epoch(), m.validationLoss());
            }
        };
    }

    /**
     * @param spec {@code hidden,layers,heads,kv_heads,head_dim,intermediate}
     * @param d the sonar dimension
     * @return the Llama-style concept LM shape
     * @throws UsageException on a malformed spec
     */
    static ConceptLMConfig shape(String spec, int d) {
        String[] s = spec.split(",");
        try {
            if (s.length == 6) {
                return ConceptLMConfig.llama(d, Integer.parseInt(s[0].trim()), Integer.parseInt(s[1].trim()),
                        Integer.parseInt(s[2].trim()), Integer.parseInt(s[3].trim()), Integer.parseInt(s[4].trim()),
                        Integer.parseInt(s[5].trim()));
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--shape expects H,L,HEADS,KV,HEAD_DIM,FFN, found " + spec);
    }
}
