package org.sonarllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.training.TrainingConfig;
import org.sonarllm.training.TrainingListener;
import org.sonarllm.training.data.Dataset;
import org.sonarllm.training.internal.NativeGarbage;
import org.sonarllm.training.internal.NativeThreads;
import org.sonarllm.training.lm.ConceptLMExport;
import org.sonarllm.training.lm.ConceptLMTrainer;
import org.sonarllm.training.model.Batch;
import org.sonarllm.training.model.ImportedSonarDecoder;
import org.sonarllm.training.model.Objective;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm bench-train}: optimizer steps of the concept-LM trainer (the same trainer and loop as
 * {@code train}) on synthetic documents of fixed shape through a bundle's frozen decoder (CE) or with MSE;
 * one JSON line with the median step time, the first step's loss, target tokens/s and the peak resident
 * memory. {@code --dump DIR} writes the initial concept LM, the documents and the run settings in the
 * layout of the PyTorch reference {@code scripts/bench/torch_train_step.py}, so both run the same step.
 *
 * <pre>{@code
 * ./sonarllm bench-train --model my-bundle --shape 256,4,4,4,64,768 --batch-size 4 --sentences 16 --tokens 24 --steps 8
 * ./sonarllm bench-train --objective mse --dim 1024 --shape 512,4,8,8,64,1536 --batch-size 4 --steps 8 --dump /tmp/d
 * }</pre>
 */
@Command(name = "bench-train", mixinStandardHelpOptions = true,
        description = "Benchmark concept-LM training steps on synthetic documents: one JSON line.")
final class BenchTrainCommand extends Nd4jCommand {
    /** Steps before the timed ones (graph planning, first allocations), as the PyTorch reference. */
    static final int WARMUP_STEPS = 2;

    @Option(names = "--model", paramLabel = "BUNDLE",
            description = "Bundle whose frozen decoder the CE objective trains through (gives the dimension); required for ce.")
    Path bundle;
    @Option(names = "--objective", defaultValue = "ce", description = "ce or mse (default: ${DEFAULT-VALUE}).") String objective;
    @Option(names = "--dim", defaultValue = "1024", description = "SONAR dimension of mse runs without --model.") int dim;
    @Option(names = "--shape", paramLabel = "H,L,HEADS,KV,HEAD_DIM,FFN", description = "Concept-LM shape.") String shape;
    @Option(names = "--preset", paramLabel = "NAME", description = "A paper shape instead of --shape: 100M, 300M, 600M, 900M.")
    String preset;
    @Option(names = "--batch-size", defaultValue = "4", description = "Documents per step.") int batchSize;
    @Option(names = "--sentences", defaultValue = "16", description = "Sentences per document (incl. end of sequence).") int sentences;
    @Option(names = "--tokens", defaultValue = "24", description = "Decoder tokens [lang]+pieces per sentence.") int tokens;
    @Option(names = "--steps", defaultValue = "8", description = "Optimizer steps; the median is over steps after the first "
            + WARMUP_STEPS + ".") int steps;
    @Option(names = "--threads", defaultValue = "0", description = "Threads in all (0: one per core).") int threads;
    @Option(names = "--workers", defaultValue = "0",
            description = "Graph replicas on threads (0: one per thread, at most the batch size).")
    int workers;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = "--dump", paramLabel = "DIR", description = "Write lm/, batch.json and run.json for torch_train_step.py.")
    Path dump;

    @Override
    protected int body() throws Exception {
        Objective obj = Objective.parse(objective);
        if (obj == Objective.CE && bundle == null) {
            throw new UsageException("--objective ce trains through a bundle's decoder: pass --model BUNDLE");
        }
        if ((shape == null) == (preset == null)) {
            throw new UsageException("expected one of --shape or --preset, found " + (shape == null ? "neither" : "both"));
        }
        if (batchSize < 1 || sentences < 2 || tokens < 1 || steps < 1) {
            throw new UsageException("expected --batch-size >= 1, --sentences >= 2, --tokens >= 1, --steps >= 1, found "
                    + batchSize + ", " + sentences + ", " + tokens + ", " + steps);
        }
        BundleManifest m = bundle == null ? null : Bundle.open(bundle).manifest();
        int d = m == null ? dim : m.dimensions().model();
        int vocab = m == null ? 1000 : m.dimensions().vocab();
        ConceptLMConfig cfg = preset != null ? ConceptLMConfig.preset(preset) : TrainCommand.shape(shape, d);
        if (cfg.sonarDim() != d) {
            throw new UsageException("expected a concept LM of dimension " + d + " for this bundle, found " + cfg.sonarDim());
        }
        int total = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        List<Batch.Document> docs = documents(batchSize, d, vocab);
        TrainingConfig t = TrainingConfig.defaults().withSteps(steps).withBatchSize(batchSize)
                .withCheckpointEvery(Long.MAX_VALUE).withLearningRate(1e-4, 1e-5, 0).withValidateEveryEpoch(false);
        int replicas = workers > 0 ? workers : Math.max(1, Math.min(total, batchSize)); // one per thread by default
        Path work = Files.createTempDirectory("bench-train");
        try {
            ConceptLMTrainer.Builder b = ConceptLMTrainer.builder().model(cfg).objective(obj)
                    .decoder(obj == Objective.CE ? ImportedSonarDecoder.fromBundle(bundle) : null)
                    .training(t.withWorkers(replicas)).outputDir(work);
            ConceptLMTrainer tr = b.build();
            if (dump != null) {
                dump(tr, docs, t);
            }
            Measure measure = new Measure();
            measure.beforeTraining = peakRssMib();
            try (NativeThreads limit = NativeThreads.limit(total)) {
                tr.train(new Dataset(docs, List.of()), measure);
            }
            json().write(measure.summary(obj, cfg, tr.training().workers(), total));
        } finally {
            try (var w = Files.walk(work)) {
                w.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }

    /** Step times, losses and counts, from the listener. */
    private final class Measure implements TrainingListener {
        final List<Double> losses = new ArrayList<>();
        final List<Double> secs = new ArrayList<>();
        final List<Double> allSecs = new ArrayList<>();
        final List<Double> cpu = new ArrayList<>();
        long last = processCpuNanos();
        long sentencesPerStep;
        long beforeTraining;
        final List<Long> rss = new ArrayList<>();
        long tokensPerStep;

        @Override
        public void onStep(StepMetrics s) {
            long now = processCpuNanos();
            losses.add(s.loss());
            allSecs.add(round(s.seconds()));
            if (s.step() > WARMUP_STEPS || steps <= WARMUP_STEPS) {
                secs.add(s.seconds());
                cpu.add((now - last) / 1e9);
            }
            rss.add(statusMib("VmRSS:"));
            sentencesPerStep = s.sentences();
            tokensPerStep = s.targetTokens();
            last = now;
        }

        Map<String, Object> summary(Objective obj, ConceptLMConfig cfg, int usedWorkers, int total) {
            double med = median(secs);
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("implementation", "sonarllm-java");
            o.put("objective", obj.name().toLowerCase(Locale.ROOT));
            o.put("shape", preset != null ? preset : shape);
            o.put("parameters", cfg.parameterCount());
            o.put("batch_documents", batchSize);
            o.put("sentences", sentences);
            o.put("tokens", tokens);
            o.put("threads", total);
            o.put("workers", usedWorkers);
            o.put("steps", steps);
            o.put("step_seconds_median", round(med));
            o.put("step_cpu_seconds_median", round(median(cpu)));
            o.put("loss_step0", losses.get(0));
            o.put("losses", losses);
            o.put("step_seconds", allSecs);
            o.put("sentences_per_s", Math.round(sentencesPerStep / med * 10) / 10.0);
            o.put("target_tokens_per_s", Math.round(tokensPerStep / med * 10) / 10.0);
            o.put("peak_rss_mib", peakRssMib());
            o.put("peak_rss_mib_before_training", beforeTraining);
            o.put("rss_mib_per_step", rss);
            return o;
        }
    }

    /** Writes what {@code scripts/bench/torch_train_step.py} reads: the initial weights, the documents, the run. */
    private void dump(ConceptLMTrainer tr, List<Batch.Document> docs, TrainingConfig t) throws IOException {
        Files.createDirectories(dump);
        ConceptLMExport.writeCheckpoint(tr.config(), tr.parameters(), dump.resolve("lm"));
        List<float[][]> emb = new ArrayList<>();
        List<int[][]> tok = new ArrayList<>();
        for (Batch.Document doc : docs) {
            emb.add(doc.embeddings());
            tok.add(doc.tokens());
        }
        Map<String, Object> batch = new LinkedHashMap<>();
        batch.put("embeddings", emb);
        batch.put("tokens", tok);
        batch.put("eos_id", Batch.EOS);
        batch.put("pad_id", bundle == null ? 1 : Bundle.open(bundle).manifest().specialIds().pad());
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("objective", objective.toLowerCase(Locale.ROOT));
        run.put("steps", t.steps());
        run.put("lr", t.learningRate());
        run.put("min_lr", t.minLearningRate());
        run.put("warmup", t.warmupSteps());
        run.put("weight_decay", t.weightDecay());
        run.put("beta1", t.beta1());
        run.put("beta2", t.beta2());
        run.put("eps", t.adamEps());
        run.put("clip", t.clipNorm());
        ObjectMapper json = new ObjectMapper();
        json.writeValue(dump.resolve("batch.json").toFile(), batch);
        json.writeValue(dump.resolve("run.json").toFile(), run);
    }

    /** Fixed-shape documents: {@code --sentences} random embeddings, {@code --tokens} random pieces each. */
    private List<Batch.Document> documents(int count, int d, int vocab) {
        List<Batch.Document> docs = new ArrayList<>();
        Random r = new Random(seed);
        for (int i = 0; i < count; i++) {
            float[][] e = new float[sentences][d];
            int[][] t = new int[sentences][tokens];
            for (int k = 0; k < sentences; k++) {
                for (int j = 0; j < d; j++) {
                    e[k][j] = (float) (r.nextGaussian() * 0.05);
                }
                for (int j = 0; j < tokens; j++) {
                    t[k][j] = 4 + r.nextInt(Math.max(1, vocab - 10));
                }
            }
            docs.add(new Batch.Document(e, t));
        }
        return docs;
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static double round(double x) {
        return Math.round(x * 10000) / 10000.0;
    }

    /** Peak resident set of this process ({@code VmHWM} of /proc/self/status), in MiB; -1 where unavailable. */
    static long peakRssMib() {
        return statusMib("VmHWM:");
    }

    /** @return a memory line of /proc/self/status in MiB, -1 where unavailable */
    private static long statusMib(String key) {
        long b = NativeGarbage.statusBytes(key);
        return b < 0 ? -1 : b >> 20;
    }

    /** CPU time of the whole process (every thread, native ones included), robust to other load on the machine. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
