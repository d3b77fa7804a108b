package org.sonarllm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.sonarllm.training.ConceptLMTrainer;
import org.sonarllm.training.TrainingConfig;
import org.sonarllm.training.TrainingListener;
import org.sonarllm.training.data.Dataset;
import org.sonarllm.training.model.Batch;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.training.model.FrozenSonarDecoder;
import org.sonarllm.training.model.Objective;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm bench-train}: training step time on synthetic documents (fixed shapes) for several
 * concept-LM shapes and batch sizes; one JSON line per configuration with the median step time,
 * sentences/s, decoder target tokens/s and memory.
 *
 * <pre>{@code
 * ./sonarllm bench-train --decoder-weights tiny-a/decoder --shapes "96,2,4,4,24,192;256,4,4,4,64,768" --batch-sizes 4,8
 * }</pre>
 */
@Command(name = "bench-train", mixinStandardHelpOptions = true,
        description = "Benchmark concept-LM training steps (synthetic data): one JSON line per shape and batch size.")
final class BenchTrainCommand extends Nd4jCommand {
    @Option(names = "--decoder-weights", paramLabel = "DIR", description = "SONAR decoder (HF layout); CE objective. Without it: MSE.")
    Path decoderWeights;
    @Option(names = "--dim", defaultValue = "1024", description = "SONAR dimension for MSE runs (CE uses the decoder's).") int dim;
    @Option(names = "--shapes", defaultValue = "96,2,4,4,24,192", description = "H,L,HEADS,KV,HEAD_DIM,FFN;...") String shapes;
    @Option(names = "--batch-sizes", defaultValue = "4,8", split = ",") List<Integer> batchSizes;
    @Option(names = "--sentences", defaultValue = "16", description = "Sentences per document (incl. end of sequence).") int sentences;
    @Option(names = "--tokens", defaultValue = "24", description = "Decoder tokens [lang]+pieces per sentence.") int tokens;
    @Option(names = "--steps", defaultValue = "5", description = "Measured steps (after 2 warm-up steps).") int steps;


    @Override
    protected int body() throws Exception {
        FrozenSonarDecoder dec = decoderWeights == null ? null : FrozenSonarDecoder.load(decoderWeights);
        int d = dec == null ? dim : dec.dimension();
        for (String shape : shapes.split(";")) {
            String[] s = shape.split(",");
            ConceptLMConfig cfg = ConceptLMConfig.llama(d, Integer.parseInt(s[0]), Integer.parseInt(s[1]), Integer.parseInt(s[2]),
                    Integer.parseInt(s[3]), Integer.parseInt(s[4]), Integer.parseInt(s[5]));
            for (int bs : batchSizes) {
                List<Batch.Document> docs = new ArrayList<>();
                Random r = new Random(1);
                for (int i = 0; i < bs; i++) {
                    float[][] e = new float[sentences][d];
                    int[][] t = new int[sentences][tokens];
                    for (int k = 0; k < sentences; k++) {
                        for (int j = 0; j < d; j++) {
                            e[k][j] = (float) (r.nextGaussian() * 0.05);
                        }
                        for (int j = 0; j < tokens; j++) {
                            t[k][j] = 4 + r.nextInt(dec == null ? 1000 : Math.max(1, dec.vocabSize() - 10));
                        }
                    }
                    docs.add(new Batch.Document(e, t));
                }
                Path work = Files.createTempDirectory("bench-train");
                List<Double> secs = new ArrayList<>();
                long[] sent = new long[1];
                long[] tok = new long[1];
                ConceptLMTrainer tr = ConceptLMTrainer.builder().model(cfg).decoder(dec)
                        .training(TrainingConfig.defaults().withObjective(dec == null ? Objective.MSE : Objective.CE)
                                .withSteps(steps + 2).withBatchSize(bs).withCheckpointEvery(1_000_000).withLearningRate(1e-4, 1e-5, 0))
                        .outputDir(work).build();
                tr.train(new Dataset(docs, List.of()), new TrainingListener() {
                    @Override
                    public void onStep(StepMetrics m) {
                        if (m.step() > 2) {
                            secs.add(m.seconds());
                            sent[0] = m.sentences();
                            tok[0] = m.targetTokens();
                        }
                    }
                });
                Collections.sort(secs);
                double med = secs.get(secs.size() / 2);
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("objective", dec == null ? "mse" : "ce");
                o.put("shape", shape);
                o.put("parameters", cfg.parameterCount());
                o.put("batch_documents", bs);
                o.put("sentences_per_doc", sentences);
                o.put("step_ms", Math.round(med * 1000));
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
}
