package org.sonarllm.training.model;

import org.sonarllm.model.ConceptLMConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Central finite differences against analytic gradients (float64): the production MSE loss, and the
 * hand-written one-graph CE reference that the production CE path is compared with elementwise
 * ({@link ImportedCaseHTest}; the imported decoder is float32, too coarse for finite differences).
 */
class GradientCheckTest {
    private static float[][] rand(Random r, int n, int d) {
        float[][] x = new float[n][d];
        for (float[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = (float) r.nextGaussian();
            }
        }
        return x;
    }

    /** Checks every sampled entry; returns how many were checked. */
    private static int check(ConceptLMGraph lm, Map<String, INDArray> grads, ToDoubleFunction<Batch> loss, Batch batch,
            int perTensor, long seed) {
        Map<String, INDArray> params = lm.parameters();
        Random r = new Random(seed);
        double eps = 1e-6;
        int checked = 0;
        for (String name : lm.parameterNames()) {
            INDArray p = params.get(name);
            INDArray gr = grads.get(name);
            long n = p.length();
            for (int s = 0; s < Math.min(perTensor, n); s++) {
                long i = perTensor >= n ? s : (long) (r.nextDouble() * n);
                double orig = p.getDouble(i);
                p.putScalar(i, orig + eps);
                double up = loss.applyAsDouble(batch);
                p.putScalar(i, orig - eps);
                double down = loss.applyAsDouble(batch);
                p.putScalar(i, orig);
                double fd = (up - down) / (2 * eps);
                double an = gr.getDouble(i);
                assertEquals(fd, an, 1e-6 + 1e-5 * Math.abs(fd), name + "[" + i + "] fd=" + fd + " analytic=" + an);
                checked++;
            }
        }
        return checked;
    }

    @Test
    void mseGradientsOfATinyGqaModelMatchFiniteDifferences() {
        ConceptLMConfig cfg = new ConceptLMConfig(6, 8, 2, 4, 2, 4, 10, 10000, ConceptLMConfig.RopeScaling.llama3(8, 1, 4, 16), 1e-6, 64);
        Random r = new Random(3);
        Batch batch = new Batch(List.of(new Batch.Document(rand(r, 4, 6), null), new Batch.Document(rand(r, 2, 6), null)),
                Batch.EOS);
        ConceptLMLoss g = ConceptLMLoss.create(Objective.MSE, cfg, ConceptLMWeights.random(cfg, 11, 0.3, DataType.DOUBLE), null,
                DataType.DOUBLE);
        int checked = check(g.lm(), g.step(batch).gradients(), b -> g.value(b).loss(), batch, 12, 1);
        assertTrue(checked > 150, "checked " + checked);
    }

    @Test
    void crossEntropyGradientsThroughTheFrozenDecoderMatchFiniteDifferences() {
        FrozenSonarDecoder dec = CaseHTest.decoder();
        int d = dec.dimension();
        ConceptLMConfig cfg = new ConceptLMConfig(d, 8, 1, 2, 1, 4, 12, 500000, ConceptLMConfig.RopeScaling.NONE, 1e-6, 64);
        Random r = new Random(5);
        int[][] tok = {{1047, 5}, {1047, 17, 300, 9}, {1047, 44}};
        Batch batch = new Batch(List.of(new Batch.Document(rand(r, 3, d), tok),
                new Batch.Document(rand(r, 2, d), new int[][] {{1047, 8}, {1047, 100, 2}})), Batch.EOS);
        HandWrittenCrossEntropy g = new HandWrittenCrossEntropy(cfg, ConceptLMWeights.random(cfg, 7, 0.2, DataType.DOUBLE),
                dec, DataType.DOUBLE);
        assertTrue(check(g.lm(), g.gradients(batch), g::loss, batch, 6, 2) > 40);
    }
}
