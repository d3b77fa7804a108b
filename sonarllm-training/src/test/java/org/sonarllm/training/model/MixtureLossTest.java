package org.sonarllm.training.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.InvalidInputException;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.training.TrainingFixtures;

/**
 * CE + w x MSE against its two parts computed independently: the pure CE loss of the same weights (the
 * imported tiny-a decoder) and the in-graph {@link MseLoss} (SameDiff's own autodiff), for loss and every
 * parameter gradient.
 */
class MixtureLossTest {
    private static final double W = 3.5;

    @Test
    void lossAndGradientsAreCePlusWeightTimesMse() {
        ConceptLMConfig cfg = TrainingFixtures.small(64);
        Map<String, INDArray> init = ConceptLMWeights.random(cfg, 9, 0.2, DataType.FLOAT);
        Batch batch = new Batch(TrainingFixtures.docs(3, 64, 21), Batch.EOS);
        ImportedSonarDecoder dec = TrainingFixtures.decoder();
        ConceptLMLoss mix = ConceptLMLoss.create(Objective.CE, W, cfg, init, dec, DataType.FLOAT);
        ConceptLMLoss ce = ConceptLMLoss.create(Objective.CE, cfg, init, dec, DataType.FLOAT);
        ConceptLMLoss mse = ConceptLMLoss.create(Objective.MSE, cfg, init, null, DataType.FLOAT);

        ConceptLMLoss.Step m = mix.step(batch);
        ConceptLMLoss.Step c = ce.step(batch);
        ConceptLMLoss.Step s = mse.step(batch);
        assertTrue(s.loss() > 0.001, "the MSE term must matter: " + s.loss());
        assertEquals(c.loss() + W * s.loss(), m.loss(), 1e-5 * m.loss());
        assertEquals(m.loss(), mix.value(batch).loss(), 1e-5 * m.loss());
        assertEquals(c.weight(), m.weight());
        double maxMse = 0;
        for (String name : mix.lm().parameterNames()) {
            INDArray expected = c.gradients().get(name).add(s.gradients().get(name).mul(W));
            INDArray got = m.gradients().get(name);
            double scale = expected.norm2Number().doubleValue();
            double err = got.sub(expected).norm2Number().doubleValue();
            assertTrue(err <= 1e-4 * scale + 1e-7, name + ": |difference| " + err + " of |gradient| " + scale);
            maxMse = Math.max(maxMse, s.gradients().get(name).norm2Number().doubleValue() * W / scale);
        }
        assertTrue(maxMse > 0.01, "the MSE part must be a visible share of some gradient: " + maxMse);
        assertEquals(W, mix.mseWeight());
    }

    @Test
    void aWeightIsRefusedForMseAndOutOfRange() {
        ConceptLMConfig cfg = TrainingFixtures.small(64);
        Map<String, INDArray> init = ConceptLMWeights.random(cfg, 9, 0.2, DataType.FLOAT);
        assertEquals("expected the ce objective with an MSE weight (1.0), found mse", assertThrows(InvalidInputException.class,
                () -> ConceptLMLoss.create(Objective.MSE, 1.0, cfg, init, null, DataType.FLOAT)).getMessage());
        assertEquals("expected an MSE weight >= 0, found -1.0", assertThrows(InvalidInputException.class,
                () -> ConceptLMLoss.create(Objective.CE, -1.0, cfg, init, TrainingFixtures.decoder(), DataType.FLOAT))
                .getMessage());
        assertThrows(InvalidInputException.class,
                () -> ConceptLMLoss.create(Objective.CE, Double.NaN, cfg, init, TrainingFixtures.decoder(), DataType.FLOAT));
    }
}
