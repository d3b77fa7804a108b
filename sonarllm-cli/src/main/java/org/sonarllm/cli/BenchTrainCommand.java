package org.sonarllm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.training.TrainingConfig;
import org.sonarllm.training.TrainingListener;
import org.sonarllm.training.data.Dataset;
import org.sonarllm.training.lm.ConceptLMTrainer;
import org.sonarllm.training.model.Batch;
import org.sonarllm.training.model.ImportedSonarDecoder;
import org.sonarllm.training.model.Objective;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm bench-train}: training step time on synthetic documents (fixed shapes) for several
 * concept-LM shapes and batch sizes, through the same trainer and loop as {@code train} (CE through the
 * bundle's frozen decoder, or MSE); one JSON line per configuration with the median step time, the first
 * step's loss, sentences/s, decoder target tokens/s and memory.
 *
 * <pre>{@code
 * ./sonarllm bench-train --model my-bundle --shapes "96,2,4,4,24,192;256,4,4,4,64,768" --batch-sizes 4,8
 * ./sonarllm bench-train --objective mse --dim 1024 --shapes 512,4,8,8,64,1536 --batch-sizes 4
 * }</pre>
 */
@Command(name = "bench-train", mixinStandardHelpOptions = true,
        description = "Benchmark concept-LM training steps (synthetic data): one JSON line per shape and batch size.")
final class BenchTrainCommand extends Nd4jCommand {
    @Option(names = "--model", paramLabel = "BUNDLE",
            description = "Bundle whose frozen decoder the CE objective trains through (gives the dimension); required for ce.")
    Path bundle;
    @Option(names = "--objective", defaultValue = "ce", description = "ce or mse (default: ${DEFAULT-VALUE}).") String objective;
    @Option(names = "--dim", defaultValue = "1024", description = "SONAR dimension of mse runs without --model.") int dim;
    @Option(names = "--shapes", defaultValue = "96,2,4,4,24,192", description = "H,L,HEADS,KV,HEAD_DIM,FFN;...") String shapes;
    @Option(names = "--batch-sizes", defaultValue = "4,8", split = ",") List<Integer> batchSizes;
    @Option(names = "--sentences", defaultValue = "16", description = "Sentences per document (incl. end of sequence).") int sentences;
    @Option(names = "--tokens", defaultValue = "24", description = "Decoder tokens [lang]+pieces per sentence.") int tokens;
    @Option(names = "--steps", defaultValue = "5", description = "Measured steps (after 2 warm-up steps).") int steps;
    @Option(names = "--workers", defaultValue = "1", description = "Graph replicas on threads.") int workers;

    @Override
    protected int body() throws Exception {
        Objective obj = Objective.parse(objective);
        if (obj == Objective.CE && bundle == null) {
            throw new UsageException("--objective ce trains through a bundle's decoder: pass --model BUNDLE");
        }
        BundleManifest m = bundle == null ? null : Bundle.open(bundle).manifest();
        int d = m == null ? dim : m.dimensions().model();
        int vocab = m == null ? 1000 : m.dimensions().vocab();
        ImportedSonarDecoder decoder = obj == Objective.CE ? ImportedSonarDecoder.fromBundle(bundle) : null;
        for (String shape : shapes.split(";")) {
            ConceptLMConfig cfg = TrainCommand.shape(shape, d);
            for (int bs : batchSizes) {
                List<Batch.Document> docs = documents(bs, d, vocab);
                Path work = Files.createTempDirectory("bench-train");
                List<Double> secs = new ArrayList<>();
                List<Double> cpu = new ArrayList<>();
                long[] lastCpu = {processCpuNanos()};
                double[] first = {Double.NaN};
                long[] sent = new long[1];
                long[] tok = new long[1];
                ConceptLMTrainer tr = ConceptLMTrainer.builder().model(cfg).objective(obj).decoder(decoder)
                        .training(TrainingConfig.defaults().withSteps(steps + 2).withBatchSize(bs).withWorkers(workers)
                                .withCheckpointEvery(1_000_000).withLearningRate(1e-4, 1e-5, 0))
                        .outputDir(work).build();
                tr.train(new Dataset(docs, List.of()), new TrainingListener() {
                    @Override
                    public void onStep(StepMetrics s) {
                        long now = processCpuNanos();
                        if (s.step() == 1) {
                            first[0] = s.loss();
                        }
                        if (s.step() > 2) {
                            cpu.add((now - lastCpu[0]) / 1e6);
                            secs.add(s.seconds());
                            sent[0] = s.sentences();
                            tok[0] = s.targetTokens();
                        }
                        lastCpu[0] = now;
                    }
                });
                Collections.sort(secs);
                Collections.sort(cpu);
                double med = secs.get(secs.size() / 2);
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("objective", obj.name().toLowerCase(java.util.Locale.ROOT));
                o.put("shape", shape);
                o.put("parameters", cfg.parameterCount());
                o.put("batch_documents", bs);
                o.put("sentences_per_doc", sentences);
                o.put("workers", workers);
                o.put("step_ms", Math.round(med * 1000));
                o.put("step_cpu_ms", Math.round(cpu.get(cpu.size() / 2)));
                o.put("loss_step0", first[0]);
                o.put("sentences_per_s", Math.round(sent[0] / med));
                o.put("target_tokens_per_s", Math.round(tok[0] / med));
                o.put("heap_mb", (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
                o.put("native_mb", org.bytedeco.javacpp.Pointer.physicalBytes() >> 20);
                json().write(o);
                main.out.flush();
                try (var w = Files.walk(work)) {
                    w.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        return 0;
    }

    /** Fixed-shape documents: {@code --sentences} random embeddings, {@code --tokens} random pieces each (seed 1). */
    private List<Batch.Document> documents(int count, int d, int vocab) {
        List<Batch.Document> docs = new ArrayList<>();
        Random r = new Random(1);
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

    /** CPU time of the whole process (every thread, native ones included), robust to other load on the machine. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
