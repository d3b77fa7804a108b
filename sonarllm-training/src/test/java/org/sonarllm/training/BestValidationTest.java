package org.sonarllm.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.InvalidInputException;

/**
 * Validation-based stopping on a scripted task: one parameter w moved by a constant gradient at a constant
 * learning rate (AdamW's step is then exactly lr: w = 1 - 0.1 k after k steps), two steps per epoch, and a
 * validation loss read from a script by the epoch w encodes, so that a resumed run sees the same values.
 */
class BestValidationTest {
    @TempDir
    Path tmp;

    /** Validation losses at the ends of epochs 0, 1, 2, ... */
    private static final double[] SCRIPT = {5, 3, 4, 3.5, 6, 1, 1, 1};

    private static final class Scripted implements TrainingTask<Integer> {
        final INDArray w = Nd4j.createFromArray(new float[] {1f});
        final List<Double> validations = new ArrayList<>();
        final List<Float> wAtValidation = new ArrayList<>();

        @Override
        public Map<String, String> fingerprint() {
            return Map.of("task", "scripted");
        }

        @Override
        public int size() {
            return 4;
        }

        @Override
        public String unit() {
            return "example";
        }

        @Override
        public List<int[]> epochBatches(int epoch, long seed, int batchSize) {
            return List.of(new int[] {0, 1}, new int[] {2, 3});
        }

        @Override
        public List<Integer> examples(int[] rows, long step, int microBatch) {
            return List.of(rows[0], rows[1]);
        }

        @Override
        public Map<String, INDArray> parameters() {
            return Map.of("w", w);
        }

        @Override
        public Replica<Integer> replica(int index) {
            return new Replica<>() {
                @Override
                public Map<String, INDArray> parameters() {
                    return Map.of("w", w);
                }

                @Override
                public Gradients gradients(List<Integer> examples, List<String> names) {
                    return new Gradients(w.getDouble(0), 2, 2, 0, Map.of("w", Nd4j.createFromArray(new float[] {1f})));
                }
            };
        }

        @Override
        public double validationLoss() {
            long steps = Math.round((1 - w.getDouble(0)) / 0.1);
            double v = SCRIPT[(int) (steps / 2) - 1];
            validations.add(v);
            wAtValidation.add(w.getFloat(0));
            return v;
        }
    }

    private static TrainingConfig config(int patience) {
        return TrainingConfig.defaults().withSteps(14).withBatchSize(2).withLearningRate(0.1, 0.1, 0).withWeightDecay(0)
                .withCheckpointEvery(3).withPatience(patience);
    }

    @Test
    void stopsAfterPatienceEpochsWithoutImprovementAndKeepsTheBestParameters() throws IOException {
        Path dir = tmp.resolve("run");
        Scripted task = new Scripted();
        TrainingResult r = new TrainingLoop(config(2), dir, false).run(task, TrainingListener.NONE);
        // epochs 0..3 validate 5, 3 (best), 4, 3.5: two in a row without improvement after the best -> stop
        assertEquals(List.of(5.0, 3.0, 4.0, 3.5), task.validations);
        assertEquals(8, r.steps());
        assertEquals(3.0, r.bestValidationLoss());
        assertEquals(dir.resolve(TrainingLoop.BEST), r.best());
        assertEquals(task.wAtValidation.get(1), r.bestParameters().get("w").getFloat(0));
        assertEquals(1 - 0.1f * 4, r.bestParameters().get("w").getFloat(0), 1e-6);
        assertEquals(9, Files.readAllLines(dir.resolve("metrics.csv")).size()); // header + 8 steps

        // a resume of the stopped run reaches the same validation and stops again, training nothing
        Scripted again = new Scripted();
        TrainingResult r2 = new TrainingLoop(config(2), dir, true).run(again, TrainingListener.NONE);
        assertEquals(List.of(3.5), again.validations);
        assertEquals(8, r2.steps());
        assertEquals(3.0, r2.bestValidationLoss());
        assertEquals(1 - 0.1f * 8, again.w.getFloat(0), 1e-6);
        assertEquals(9, Files.readAllLines(dir.resolve("metrics.csv")).size());
    }

    @Test
    void withoutPatienceTheRunGoesToItsLastStepAndKeepsNoBest() {
        Scripted task = new Scripted();
        TrainingResult r = new TrainingLoop(config(0), tmp.resolve("plain"), false).run(task, TrainingListener.NONE);
        assertEquals(14, r.steps());
        assertEquals(List.of(5.0, 3.0, 4.0, 3.5, 6.0, 1.0, 1.0), task.validations);
        assertNull(r.best());
        assertTrue(Double.isNaN(r.bestValidationLoss()));
        assertTrue(Files.notExists(tmp.resolve("plain").resolve(TrainingLoop.BEST)));
        assertThrows(IllegalStateException.class, r::bestParameters);
    }

    @Test
    void aLaterImprovementResetsThePatience() {
        Scripted task = new Scripted();
        TrainingResult r = new TrainingLoop(config(3), tmp.resolve("p3"), false).run(task, TrainingListener.NONE);
        // 5, 3 (best), 4, 3.5, 6 -> three without improvement: stop at the end of epoch 4
        assertEquals(List.of(5.0, 3.0, 4.0, 3.5, 6.0), task.validations);
        assertEquals(10, r.steps());
        Scripted t4 = new Scripted();
        TrainingResult r4 = new TrainingLoop(config(4), tmp.resolve("p4"), false).run(t4, TrainingListener.NONE);
        // with patience 4 epoch 5's 1.0 comes in time: best 1.0 at epoch 5, then the run ends at step 14
        assertEquals(14, r4.steps());
        assertEquals(1.0, r4.bestValidationLoss());
        assertEquals(1 - 0.1f * 12, r4.bestParameters().get("w").getFloat(0), 1e-6);
    }

    @Test
    void aPatienceNeedsValidationAndIsNotNegative() {
        assertEquals("expected a patience >= 0 epochs (0 = off), found -1", assertThrows(InvalidInputException.class,
                () -> TrainingConfig.defaults().withPatience(-1)).getMessage());
        assertEquals("expected validation at every epoch with a patience of 2, found validation off",
                assertThrows(InvalidInputException.class,
                        () -> TrainingConfig.defaults().withPatience(2).withValidateEveryEpoch(false)).getMessage());
        assertEquals("2", TrainingConfig.defaults().withPatience(2).fingerprint().get("patience"));
        assertNull(TrainingConfig.defaults().fingerprint().get("patience"));
    }
}
