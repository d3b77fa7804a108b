package org.sonarllm.training.model;

import org.sonarllm.model.ConceptLMConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.testing.TinyA;

/** CE training through the bundle's imported decoder graph (two graphs, chain rule) against tiny-a case h. */
class ImportedCaseHTest {
    @Test
    void crossEntropyLossAndGradientsMatchCaseH() {
        JsonNode h = TinyA.expected().get("h_loss");
        ConceptLMConfig cfg = ConceptLMGraphTest.cfg();
        TrainingGraph g = TrainingGraph.buildImported(cfg,
                ConceptLMWeights.fromSafeTensors(TinyA.dir().resolve("sonar_llm/model.safetensors"), cfg, DataType.FLOAT),
                ImportedSonarDecoder.fromBundle(TinyABundle.get()), DataType.FLOAT);
        Batch batch = CaseHTest.caseHBatch();
        double want = h.get("ce_loss").asDouble();
        assertEquals(want, g.loss(batch), 1e-4 * want);

        TrainingGraph.Step s = g.step(batch);
        assertEquals(want, s.loss(), 1e-4 * want);
        INDArray gp = s.predictionGradient();
        float[][] wantG = TinyA.floats2(h.get("grad_wrt_predicted_embeddings"));
        double maxAbs = 0;
        double maxDiff = 0;
        for (int i = 0; i < wantG.length; i++) {
            for (int j = 0; j < wantG[i].length; j++) {
                maxAbs = Math.max(maxAbs, Math.abs(wantG[i][j]));
                maxDiff = Math.max(maxDiff, Math.abs(wantG[i][j] - gp.getDouble(i, j)));
            }
        }
        assertTrue(maxAbs > 0);
        assertEquals(0, maxDiff / maxAbs, 1e-3, "relative grad diff " + maxDiff / maxAbs);

        Map<String, INDArray> pg = s.gradients();
        double total = 0;
        for (INDArray a : pg.values()) {
            double n = a.castTo(DataType.DOUBLE).norm2Number().doubleValue();
            total += n * n;
        }
        double wantTotal = h.get("total_grad_norm").asDouble();
        assertEquals(wantTotal, Math.sqrt(total), 1e-3 * wantTotal);
        int checked = 0;
        JsonNode norms = h.get("param_grad_norms");
        for (var it = norms.fields(); it.hasNext(); ) {
            var e = it.next();
            INDArray a = pg.get(e.getKey());
            if (a == null) {
                continue;
            }
            double w = e.getValue().asDouble();
            double got = a.castTo(DataType.DOUBLE).norm2Number().doubleValue();
            assertEquals(w, got, 1e-3 * Math.max(w, 1e-3 * wantTotal), e.getKey());
            checked++;
        }
        assertTrue(checked > 0, "no parameter gradient norm compared");
    }
}
