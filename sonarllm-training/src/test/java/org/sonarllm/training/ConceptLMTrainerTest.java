package org.sonarllm.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.testing.TinyA;
import org.sonarllm.training.data.Dataset;
import org.sonarllm.training.internal.SafeTensorsFile;
import org.sonarllm.training.model.Batch;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.training.model.FrozenSonarDecoder;
import org.sonarllm.training.model.Objective;

class ConceptLMTrainerTest {
    @TempDir
    Path tmp;

    static FrozenSonarDecoder decoder() {
        return FrozenSonarDecoder.load(TinyA.dir().resolve("decoder"));
    }

    static ConceptLMConfig small(int d) {
        return ConceptLMConfig.llama(d, 16, 2, 2, 1, 8, 24);
    }

    /** Random documents of 2..5 sentences with random piece tokens. */
    static List<Batch.Document> docs(int count, int d, long seed) {
        Random r = new Random(seed);
        List<Batch.Document> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int n = 2 + r.nextInt(4);
            float[][] e = new float[n][d];
            int[][] tok = new int[n][];
            for (int k = 0; k < n; k++) {
                for (int j = 0; j < d; j++) {
                    e[k][j] = (float) (r.nextGaussian() * 0.1);
                }
                tok[k] = new int[1 + r.nextInt(5)];
                tok[k][0] = 1047;
                for (int t = 1; t < tok[k].length; t++) {
                    tok[k][t] = 4 + r.nextInt(990);
                }
            }
            out.add(new Batch.Document(e, tok));
        }
        return out;
    }

    private ConceptLMTrainer trainer(Path dir, TrainingConfig t, boolean resume) {
        return ConceptLMTrainer.builder().model(small(64)).decoder(decoder()).training(t).outputDir(dir).resume(resume).build();
    }

    private static TrainingConfig cfg() {
        return TrainingConfig.defaults().withSteps(6).withBatchSize(2).withAccumulation(2).withLearningRate(2e-3, 1e-4, 2)
                .withCheckpointEvery(1).withSeed(9);
    }

    @Test
    void resumeAfterAKillGivesTheSameLossesAsAnUninterruptedRun() {
        Dataset data = new Dataset(docs(5, 64, 1), docs(2, 64, 2));
        List<Double> full = new ArrayList<>();
        ConceptLMTrainer a = trainer(tmp.resolve("a"), cfg(), false);
        a.train(data, new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                full.add(m.loss());
            }
        });
        assertEquals(6, full.size());

        List<Double> resumed = new ArrayList<>();
        RuntimeException kill = new RuntimeException("killed");
        ConceptLMTrainer b1 = trainer(tmp.resolve("b"), cfg(), true);
        assertThrows(RuntimeException.class, () -> b1.train(data, new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                resumed.add(m.loss());
            }

            @Override
            public void onCheckpoint(long step, Path file) {
                if (step == 4) {
                    throw kill;
                }
            }
        }));
        ConceptLMTrainer b2 = trainer(tmp.resolve("b"), cfg(), true);
        b2.train(data, new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                resumed.add(m.loss());
            }
        });
        assertEquals(full, resumed);
        for (Map.Entry<String, INDArray> e : a.parameters().entrySet()) {
            assertEquals(e.getValue(), b2.parameters().get(e.getKey()), e.getKey());
        }
        // the killed run's metrics rows were trimmed to the checkpoint: one row per step
        assertEquals(7, lines(tmp.resolve("b/metrics.csv")).size());
    }

    private static List<String> lines(Path p) {
        try {
            return Files.readAllLines(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void crossEntropyFallsDecoderStaysBitIdenticalAndMetricsAreWritten() throws IOException {
        Dataset data = new Dataset(docs(4, 64, 3), docs(2, 64, 4));
        TrainingConfig t = TrainingConfig.defaults().withSteps(24).withBatchSize(4).withLearningRate(3e-3, 3e-3, 0)
                .withCheckpointEvery(100).withSeed(1);
        ConceptLMTrainer tr = trainer(tmp.resolve("ce"), t, false);
        double before = tr.evaluate(data.train());
        List<Double> losses = new ArrayList<>();
        tr.train(data, new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                losses.add(m.loss());
            }
        });
        double after = tr.evaluate(data.train());
        assertTrue(after < 0.9 * before, "loss " + before + " -> " + after);

        Map<String, SafeTensorsFile.Tensor> ref = SafeTensorsFile.read(TinyA.dir().resolve("decoder/model.safetensors"));
        int frozen = 0;
        for (SDVariable v : tr.graph().sameDiff().variables()) {
            if (v.name().startsWith("frozen.")) {
                assertEquals(VariableType.CONSTANT, v.getVariableType(), v.name());
                float[] got = v.getArr().data().asFloat();
                assertArrayEquals(ref.get(v.name().substring("frozen.".length())).data(), got, 0f, v.name());
                frozen++;
            } else if (v.getVariableType() == VariableType.VARIABLE) {
                assertTrue(v.name().startsWith("forward_proj") || v.name().startsWith("llama_model")
                        || v.name().startsWith("reverse_proj"), v.name());
            }
        }
        assertTrue(frozen > 10);
        List<String> csv = lines(tmp.resolve("ce/metrics.csv"));
        assertEquals(25, csv.size());
        assertTrue(csv.get(0).startsWith("step,epoch,loss"));
        assertTrue(Files.exists(tmp.resolve("ce/validation.csv")));
        assertEquals(800, ImageIO.read(tmp.resolve("ce/loss.png").toFile()).getWidth());
    }

    @Test
    void accumulationOfEqualMseMicroBatchesEqualsOneBigBatch() {
        Random r = new Random(4);
        List<Batch.Document> d = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            float[][] e = new float[3][8];
            for (float[] row : e) {
                for (int j = 0; j < 8; j++) {
                    row[j] = (float) r.nextGaussian();
                }
            }
            d.add(new Batch.Document(e, null));
        }
        Dataset data = new Dataset(d, List.of());
        TrainingConfig base = TrainingConfig.defaults().withObjective(Objective.MSE).withSteps(1).withLearningRate(1e-2, 1e-2, 0)
                .withClipNorm(0);
        ConceptLMTrainer one = ConceptLMTrainer.builder().model(small(8)).training(base.withBatchSize(2))
                .outputDir(tmp.resolve("one")).dataType(DataType.DOUBLE).build();
        ConceptLMTrainer two = ConceptLMTrainer.builder().model(small(8)).training(base.withBatchSize(1).withAccumulation(2))
                .outputDir(tmp.resolve("two")).dataType(DataType.DOUBLE).build();
        one.train(data, new TrainingListener() {});
        two.train(data, new TrainingListener() {});
        for (Map.Entry<String, INDArray> e : one.parameters().entrySet()) {
            INDArray diff = e.getValue().sub(two.parameters().get(e.getKey()));
            assertEquals(0, diff.amaxNumber().doubleValue(), 1e-9, e.getKey());
        }
    }

    @Test
    void badInputsGiveTypedErrorsAndKeepWrittenFiles() throws IOException {
        assertThrows(InvalidInputException.class, () -> trainer(tmp.resolve("e"), cfg(), false)
                .train(new Dataset(List.of(), List.of()), new TrainingListener() {}));
        assertThrows(InvalidInputException.class, () -> new Batch.Document(new float[1][64], null));

        Dataset data = new Dataset(docs(3, 64, 5), List.of());
        TrainingConfig t = cfg().withSteps(2);
        trainer(tmp.resolve("c"), t, false).train(data, new TrainingListener() {});
        Path ck = tmp.resolve("c").resolve(ConceptLMTrainer.CHECKPOINT);
        List<String> metricsBefore = lines(tmp.resolve("c/metrics.csv"));

        ModelFormatException mismatch = assertThrows(ModelFormatException.class,
                () -> trainer(tmp.resolve("c"), t.withBatchSize(3), true).train(data, new TrainingListener() {}));
        assertTrue(mismatch.getMessage().startsWith("mismatched checkpoint"), mismatch.getMessage());

        byte[] bytes = Files.readAllBytes(ck);
        byte[] flipped = bytes.clone();
        flipped[bytes.length / 2] ^= 0x40;
        Files.write(ck, flipped);
        ModelFormatException corrupt = assertThrows(ModelFormatException.class,
                () -> trainer(tmp.resolve("c"), t, true).train(data, new TrainingListener() {}));
        assertTrue(corrupt.getMessage().startsWith("corrupt checkpoint"), corrupt.getMessage());

        Files.write(ck, java.util.Arrays.copyOf(bytes, bytes.length / 3));
        ModelFormatException truncated = assertThrows(ModelFormatException.class,
                () -> trainer(tmp.resolve("c"), t, true).train(data, new TrainingListener() {}));
        assertTrue(truncated.getMessage().startsWith("corrupt checkpoint"), truncated.getMessage());
        assertEquals(metricsBefore, lines(tmp.resolve("c/metrics.csv")));
    }
}
