package org.sonarllm.training.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sonarllm.training.TrainingFixtures.decoder;
import static org.sonarllm.training.TrainingFixtures.docs;
import static org.sonarllm.training.TrainingFixtures.losses;
import static org.sonarllm.training.TrainingFixtures.small;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
import org.sonarllm.onnx.graph.TeacherForcingDecoderGraph;
import org.sonarllm.training.TrainingConfig;
import org.sonarllm.training.TrainingListener;
import org.sonarllm.training.data.Dataset;
import org.sonarllm.training.model.Batch;
import org.sonarllm.training.model.ConceptLMLoss;
import org.sonarllm.training.model.ImportedSonarDecoder;
import org.sonarllm.training.model.Objective;


class ConceptLMTrainerTest {
    @TempDir
    Path tmp;

    /** CE with prediction noise: its seeds must come from the step alone, for resume and any number of workers. */
    private ConceptLMTrainer trainer(Path dir, TrainingConfig t, boolean resume) {
        return ConceptLMTrainer.builder().model(small(64)).decoder(decoder()).anchors(new ConceptLMLoss.Anchors(0, 0, 0.5))
                .training(t).outputDir(dir).resume(resume).build();
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
        a.train(data, losses(full));
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
        b2.train(data, losses(resumed));
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
        ImportedSonarDecoder dec = ImportedSonarDecoder.fromBundle(org.sonarllm.onnx.testing.TinyABundle.get());
        Map<String, float[]> before = new LinkedHashMap<>();
        for (SDVariable v : dec.graph().variables()) {
            if (v.getVariableType() == VariableType.CONSTANT && v.dataType() == DataType.FLOAT) {
                before.put(v.name(), v.getArr().dup().data().asFloat());
            }
        }
        // format 2: the weights are placeholder values fed with every call (shared arrays): they must not change either
        Map<String, INDArray> weightFeeds = new LinkedHashMap<>(dec.feeds(new long[][] {{1}}, new float[][] {new float[64]}));
        weightFeeds.keySet().removeAll(List.of(TeacherForcingDecoderGraph.INPUT_IDS,
                TeacherForcingDecoderGraph.POSITION_IDS, TeacherForcingDecoderGraph.EMBEDDING));
        Map<String, float[]> weightsBefore = new LinkedHashMap<>();
        weightFeeds.forEach((k, a) -> weightsBefore.put(k, a.dup().data().asFloat()));
        assertTrue(before.size() + weightsBefore.size() > 10, "decoder constants " + before.size() + ", weights "
                + weightsBefore.size());
        ConceptLMTrainer tr = ConceptLMTrainer.builder().model(small(64)).decoder(dec).training(t)
                .outputDir(tmp.resolve("ce")).build();
        double start = tr.evaluate(data.train());
        tr.train(data, TrainingListener.NONE);
        double after = tr.evaluate(data.train());
        assertTrue(after < 0.9 * start, "loss " + start + " -> " + after);

        for (SDVariable v : dec.graph().variables()) {
            if (before.containsKey(v.name())) {
                assertEquals(VariableType.CONSTANT, v.getVariableType(), v.name());
                assertArrayEquals(before.get(v.name()), v.getArr().data().asFloat(), 0f, v.name());
            } else {
                assertTrue(v.getVariableType() != VariableType.VARIABLE || v.name().equals("embedding"),
                        "only the embedding input becomes a (never updated) variable: " + v.name());
            }
        }
        weightFeeds.forEach((k, a) -> assertArrayEquals(weightsBefore.get(k), a.data().asFloat(), 0f, k));
        for (SDVariable v : tr.loss().lm().sameDiff().variables()) {
            if (v.getVariableType() == VariableType.VARIABLE) {
                assertTrue(v.name().startsWith("forward_proj") || v.name().startsWith("llama_model")
                        || v.name().startsWith("reverse_proj"), v.name());
            }
        }
        List<String> csv = lines(tmp.resolve("ce/metrics.csv"));
        assertEquals(25, csv.size());
        assertEquals("step,epoch,loss,lr,grad_norm,sentences,target_tokens,seconds,phase", csv.get(0));
        assertTrue(csv.get(24).startsWith("24,"), csv.get(24));
        assertTrue(csv.get(24).endsWith(",train"), csv.get(24));
        assertTrue(lines(tmp.resolve("ce/validation.csv")).size() > 1);
        assertEquals(800, ImageIO.read(tmp.resolve("ce/loss.png").toFile()).getWidth());
    }

    private static List<Batch.Document> mseDocs(int n, int sentences, long seed) {
        Random r = new Random(seed);
        List<Batch.Document> d = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[][] e = new float[sentences][8];
            for (float[] row : e) {
                for (int j = 0; j < 8; j++) {
                    row[j] = (float) r.nextGaussian();
                }
            }
            d.add(new Batch.Document(e, null));
        }
        return d;
    }

    private ConceptLMTrainer mse(Path dir, TrainingConfig t) {
        return ConceptLMTrainer.builder().model(small(8)).objective(Objective.MSE).training(t).outputDir(dir)
                .dataType(DataType.DOUBLE).build();
    }

    private static void assertSameParameters(Map<String, INDArray> a, Map<String, INDArray> b, double tol) {
        for (Map.Entry<String, INDArray> e : a.entrySet()) {
            double diff = e.getValue().castTo(DataType.DOUBLE).sub(b.get(e.getKey()).castTo(DataType.DOUBLE))
                    .amaxNumber().doubleValue();
            assertEquals(0, diff, tol, e.getKey());
        }
    }

    @Test
    void accumulationOfEqualMseMicroBatchesEqualsOneBigBatch() {
        Dataset data = new Dataset(mseDocs(2, 3, 4), List.of());
        TrainingConfig base = TrainingConfig.defaults().withSteps(1).withLearningRate(1e-2, 1e-2, 0).withClipNorm(Double.POSITIVE_INFINITY);
        ConceptLMTrainer one = mse(tmp.resolve("one"), base.withBatchSize(2));
        ConceptLMTrainer two = mse(tmp.resolve("two"), base.withBatchSize(1).withAccumulation(2));
        one.train(data, TrainingListener.NONE);
        two.train(data, TrainingListener.NONE);
        assertSameParameters(one.parameters(), two.parameters(), 1e-9);
    }

    @Test
    void twoWorkersGiveTheSameRunAsOne() {
        // Documents of different lengths, so the two halves of a micro-batch carry different weights.
        Dataset mseData = new Dataset(docs(6, 8, 11).stream().map(d -> new Batch.Document(d.embeddings(), null)).toList(),
                List.of());
        TrainingConfig t = TrainingConfig.defaults().withSteps(4).withBatchSize(3).withLearningRate(1e-2, 1e-3, 1).withSeed(2);
        List<Double> l1 = new ArrayList<>();
        List<Double> l2 = new ArrayList<>();
        ConceptLMTrainer one = mse(tmp.resolve("m1"), t);
        ConceptLMTrainer two = mse(tmp.resolve("m2"), t.withWorkers(2));
        one.train(mseData, losses(l1));
        two.train(mseData, losses(l2));
        for (int i = 0; i < l1.size(); i++) {
            assertEquals(l1.get(i), l2.get(i), 1e-12 * Math.abs(l1.get(i)), "step " + (i + 1));
        }
        assertSameParameters(one.parameters(), two.parameters(), 1e-12);

        Dataset ceData = new Dataset(docs(4, 64, 3), List.of());
        TrainingConfig c = TrainingConfig.defaults().withSteps(3).withBatchSize(4).withLearningRate(3e-3, 3e-3, 0).withSeed(1);
        List<Double> c1 = new ArrayList<>();
        List<Double> c2 = new ArrayList<>();
        ConceptLMTrainer ce1 = trainer(tmp.resolve("c1"), c, false);
        ConceptLMTrainer ce2 = trainer(tmp.resolve("c2"), c.withWorkers(2), false);
        ce1.train(ceData, losses(c1));
        ce2.train(ceData, losses(c2));
        for (int i = 0; i < c1.size(); i++) {
            assertEquals(c1.get(i), c2.get(i), 1e-5 * c1.get(i), "step " + (i + 1));
        }
        assertSameParameters(ce1.parameters(), ce2.parameters(), 1e-5);
    }

    @Test
    void badInputsGiveTypedErrors() {
        assertThrows(InvalidInputException.class, () -> new Batch.Document(new float[1][64], null));
        assertThrows(InvalidInputException.class, () -> ConceptLMTrainer.builder().model(small(64)).outputDir(tmp).build());
        assertThrows(InvalidInputException.class, () -> ConceptLMTrainer.builder().model(small(32)).decoder(decoder())
                .outputDir(tmp).build());
        assertThrows(InvalidInputException.class, () -> TrainingConfig.defaults().withWorkers(0));
    }
}
