package org.sonarllm.training.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.onnx.testing.TinyAFormat1;
import org.sonarllm.testing.TinyA;

/**
 * The production CE path (concept LM graph + the bundle's imported decoder up to its final states + the
 * shared {@link VocabularyHead}, joined by the chain rule) against tiny-a case h and against the
 * hand-written one-graph reference ({@link HandWrittenCrossEntropy}).
 */
class ImportedCaseHTest {
    static ConceptLMLoss production() {
        return production(TinyABundle.get());
    }

    static ConceptLMLoss production(java.nio.file.Path bundle) {
        return ConceptLMLoss.create(Objective.CE, ConceptLMGraphTest.cfg(), CaseHTest.tinyAWeights(DataType.FLOAT),
                ImportedSonarDecoder.fromBundle(bundle), DataType.FLOAT);
    }

    @Test
    void crossEntropyLossAndGradientsMatchCaseH() {
        assertCaseH(production());
    }

    /** The same through the decoder of a format-1 bundle (weights inside its training graph). */
    @Test
    void format1BundleMatchesCaseH() {
        assertCaseH(production(TinyAFormat1.dir()));
    }

    static void assertCaseH(ConceptLMLoss g) {
        JsonNode h = TinyA.expected().get("h_loss");
        Batch batch = CaseHTest.caseHBatch();
        double want = h.get("ce_loss").asDouble();
        ConceptLMLoss.Value v = g.value(batch);
        assertEquals(want, v.loss(), 1e-4 * want);
        assertEquals(h.get("total_target_tokens").asLong(), (long) v.weight());

        ConceptLMLoss.Step s = g.step(batch);
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

    @Test
    void everyParameterGradientEqualsTheHandWrittenOneGraphReference() {
        // Elementwise, not just norms: the two-graph chain rule through the imported decoder and the head
        // outside SameDiff gives the gradients SameDiff computes over one graph with the hand-written decoder.
        Batch batch = CaseHTest.caseHBatch();
        ConceptLMLoss.Step s = production().step(batch);
        HandWrittenCrossEntropy ref = CaseHTest.handWritten(DataType.FLOAT);
        Map<String, INDArray> want = ref.gradients(batch);
        assertEquals(ref.loss(batch), s.loss(), 1e-5 * s.loss());
        double scale = 0;
        for (INDArray a : want.values()) {
            scale = Math.max(scale, a.amaxNumber().doubleValue());
        }
        assertTrue(scale > 0);
        for (String name : ref.lm().parameterNames()) {
            double diff = want.get(name).castTo(DataType.DOUBLE).sub(s.gradients().get(name).castTo(DataType.DOUBLE))
                    .amaxNumber().doubleValue();
            assertTrue(diff <= 1e-3 * scale, name + ": max diff " + diff + " (largest gradient " + scale + ")");
        }
        INDArray pg = ref.predictionGradient(batch);
        double pScale = pg.amaxNumber().doubleValue();
        assertTrue(pg.sub(s.predictionGradient()).amaxNumber().doubleValue() <= 1e-4 * pScale);
    }
}
