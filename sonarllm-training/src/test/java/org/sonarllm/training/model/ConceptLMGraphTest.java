package org.sonarllm.training.model;

import org.sonarllm.model.ConceptLMConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.ModelFormatException;
import org.sonarllm.testing.TinyA;

class ConceptLMGraphTest {
    static ConceptLMConfig cfg() {
        return ConceptLMConfig.read(TinyA.dir().resolve("sonar_llm/config.json"));
    }

    static ConceptLMGraph tinyA(DataType dt) {
        ConceptLMConfig cfg = cfg();
        return ConceptLMGraph.build(SameDiff.create(), cfg, dt,
                ConceptLMWeights.fromSafeTensors(TinyA.dir().resolve("sonar_llm/model.safetensors"), cfg, dt));
    }

    @Test
    void ropeInverseFrequenciesMatchReference() {
        double[] inv = cfg().ropeInverseFrequencies();
        JsonNode ref = TinyA.expected().get("f_concept_lm").get("rope_inv_freq");
        assertEquals(ref.size(), inv.length);
        for (int i = 0; i < inv.length; i++) {
            assertEquals(ref.get(i).asDouble(), inv[i], 1e-7 * Math.abs(ref.get(i).asDouble()) + 1e-12, "i=" + i);
        }
    }

    @Test
    void caseFPredictions() {
        JsonNode f = TinyA.expected().get("f_concept_lm");
        float[][] in = TinyA.floats2(f.get("input_embeddings"));
        float[][] want = TinyA.floats2(f.get("predicted"));
        ConceptLMGraph lm = tinyA(DataType.FLOAT);
        INDArray x = Nd4j.createFromArray(new float[][][] {in});
        INDArray got = lm.sameDiff().output(lm.feeds(x), ConceptLMGraph.OUTPUT).get(ConceptLMGraph.OUTPUT);
        assertEquals(3, got.rank());
        double max = 0;
        for (int t = 0; t < want.length; t++) {
            for (int j = 0; j < want[t].length; j++) {
                max = Math.max(max, Math.abs(want[t][j] - got.getDouble(0, t, j)));
            }
        }
        assertEquals(0, max, 1e-4, "max abs diff " + max);
    }

    @Test
    void caseHPaddedBatchPredictionsAndMse() {
        JsonNode h = TinyA.expected().get("h_loss");
        JsonNode docs = h.get("document_embeddings");
        int b = docs.size();
        int t = 0;
        for (JsonNode d : docs) {
            t = Math.max(t, d.size());
        }
        int dim = cfg().sonarDim();
        float[][][] batch = new float[b][t][dim];
        for (int i = 0; i < b; i++) {
            float[][] d = TinyA.floats2(docs.get(i));
            for (int k = 0; k < d.length; k++) {
                batch[i][k] = d[k];
            }
        }
        ConceptLMGraph lm = tinyA(DataType.DOUBLE);
        INDArray got = lm.sameDiff().output(lm.feeds(Nd4j.createFromArray(batch)), ConceptLMGraph.OUTPUT)
                .get(ConceptLMGraph.OUTPUT);
        float[][] want = TinyA.floats2(h.get("predicted_embeddings"));
        int row = 0;
        double sq = 0;
        double max = 0;
        for (int i = 0; i < b; i++) {
            int n = docs.get(i).size();
            for (int k = 1; k < n; k++, row++) {
                for (int j = 0; j < dim; j++) {
                    double p = got.getDouble(i, k - 1, j);
                    max = Math.max(max, Math.abs(p - want[row][j]));
                    double diff = p - batch[i][k][j];
                    sq += diff * diff;
                }
            }
        }
        assertEquals(want.length, row);
        assertEquals(0, max, 1e-4);
        assertEquals(h.get("mse_loss").asDouble(), sq / (row * (double) dim), 1e-5);
    }

    @Test
    void wrongShapedCheckpointIsRejected() {
        ConceptLMConfig c = cfg();
        ConceptLMConfig other = new ConceptLMConfig(c.sonarDim(), c.hidden() + 2, c.layers(), c.heads(), c.kvHeads(),
                c.headDim(), c.intermediate(), c.ropeTheta(), c.ropeScaling(), c.rmsEps(), c.maxPositions());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ConceptLMWeights.fromSafeTensors(
                TinyA.dir().resolve("sonar_llm/model.safetensors"), other, DataType.FLOAT));
        assertEquals(true, e.getMessage().contains("forward_proj.linear.weight"), e.getMessage());
    }
}
