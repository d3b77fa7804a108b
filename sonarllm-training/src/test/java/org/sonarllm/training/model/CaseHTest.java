package org.sonarllm.training.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.testing.TinyA;

/**
 * The hand-written reference decoder and CE graph against tiny-a cases c and h (so that the production
 * path can be compared with a checked reference), and the production MSE loss against case h.
 */
class CaseHTest {
    static FrozenSonarDecoder decoder() {
        return FrozenSonarDecoder.load(TinyA.dir().resolve("decoder"));
    }

    /** Case h documents with tokens [lang] + pieces recovered from the expected decoder inputs. */
    static Batch caseHBatch() {
        JsonNode h = TinyA.expected().get("h_loss");
        JsonNode ids = h.get("decoder_input_ids");
        int[] predDoc = TinyA.ints(h.get("prediction_doc"));
        List<Batch.Document> docs = new ArrayList<>();
        int row = 0;
        for (int b = 0; b < h.get("document_embeddings").size(); b++) {
            float[][] emb = TinyA.floats2(h.get("document_embeddings").get(b));
            int[][] tok = new int[emb.length][];
            tok[0] = new int[] {1047}; // sentence 0 is never a target
            for (int k = 1; k < emb.length; k++, row++) {
                assertEquals(b, predDoc[row]);
                int[] r = TinyA.ints(ids.get(row));
                int n = 0;
                while (n < r.length && r[n] != 1) {
                    n++;
                }
                tok[k] = java.util.Arrays.copyOfRange(r, 1, n - 1);
            }
            docs.add(new Batch.Document(emb, tok));
        }
        return new Batch(docs, Batch.EOS);
    }

    static Map<String, INDArray> tinyAWeights(DataType dt) {
        return ConceptLMWeights.fromSafeTensors(TinyA.dir().resolve("sonar_llm/model.safetensors"), ConceptLMGraphTest.cfg(), dt);
    }

    static HandWrittenCrossEntropy handWritten(DataType dt) {
        return new HandWrittenCrossEntropy(ConceptLMGraphTest.cfg(), tinyAWeights(dt), decoder(), dt);
    }

    @Test
    void teacherForcingLogitsMatchCaseC() {
        JsonNode c = TinyA.expected().get("c_teacher_forcing");
        FrozenSonarDecoder dec = decoder();
        SameDiff sd = SameDiff.create();
        SDVariable e = sd.placeHolder("e", DataType.FLOAT, -1, dec.dimension());
        dec.attach(sd, e, DataType.FLOAT);
        long[][] ids = TinyA.longs2(c.get("decoder_input_ids"));
        Map<String, INDArray> f = new java.util.HashMap<>(dec.feeds(ids, DataType.FLOAT));
        f.put("e", Nd4j.createFromArray(TinyA.floats2(c.get("embeddings"))));
        INDArray logits = sd.output(f, FrozenSonarDecoder.LOGITS).get(FrozenSonarDecoder.LOGITS);
        int len = ids[0].length;
        double max = 0;
        for (int i = 0; i < ids.length; i++) {
            float[][] want = TinyA.floats2(c.get("logits").get(i));
            for (int t = 0; t < len; t++) {
                for (int v = 0; v < want[t].length; v++) {
                    max = Math.max(max, Math.abs(want[t][v] - logits.getDouble((long) i * len + t, v)));
                }
            }
        }
        assertEquals(0, max, 1e-3, "max abs logit diff " + max);
    }

    @Test
    void batchBuildsTheReferenceDecoderInputsAndLabels() {
        JsonNode h = TinyA.expected().get("h_loss");
        Batch batch = caseHBatch();
        long[][] in = batch.decoderInputs(1);
        long[][] lab = batch.labels(1);
        for (int i = 0; i < in.length; i++) {
            assertArrayEquals(TinyA.longs(h.get("decoder_input_ids").get(i)), in[i]);
            assertArrayEquals(TinyA.longs(h.get("labels").get(i)), lab[i]);
        }
        assertEquals(h.get("total_target_tokens").asLong(), batch.targetTokens());
    }

    @Test
    void crossEntropyLossAndGradientMatchCaseH() {
        JsonNode h = TinyA.expected().get("h_loss");
        HandWrittenCrossEntropy g = handWritten(DataType.FLOAT);
        Batch batch = caseHBatch();
        double loss = g.loss(batch);
        double want = h.get("ce_loss").asDouble();
        assertEquals(want, loss, 1e-4 * want);

        INDArray gp = g.predictionGradient(batch);
        float[][] wantG = TinyA.floats2(h.get("grad_wrt_predicted_embeddings"));
        double maxAbs = 0;
        double maxDiff = 0;
        for (int i = 0; i < wantG.length; i++) {
            for (int j = 0; j < wantG[i].length; j++) {
                maxAbs = Math.max(maxAbs, Math.abs(wantG[i][j]));
                maxDiff = Math.max(maxDiff, Math.abs(wantG[i][j] - gp.getDouble(i, j)));
            }
        }
        assertEquals(0, maxDiff / maxAbs, 1e-3, "relative grad diff " + maxDiff / maxAbs);

        Map<String, INDArray> pg = g.gradients(batch);
        double total = 0;
        for (INDArray a : pg.values()) {
            total += a.castTo(DataType.DOUBLE).norm2Number().doubleValue() * a.castTo(DataType.DOUBLE).norm2Number().doubleValue();
        }
        double wantTotal = h.get("total_grad_norm").asDouble();
        assertEquals(wantTotal, Math.sqrt(total), 1e-3 * wantTotal);
        double fp = pg.get("forward_proj.linear.weight").castTo(DataType.DOUBLE).norm2Number().doubleValue();
        assertEquals(h.get("forward_proj_weight_grad_norm").asDouble(), fp, 1e-3 * fp);
    }

    @Test
    void mseLossMatchesCaseH() {
        ConceptLMLoss g = ConceptLMLoss.create(Objective.MSE, ConceptLMGraphTest.cfg(), tinyAWeights(DataType.FLOAT), null,
                DataType.FLOAT);
        ConceptLMLoss.Value v = g.value(caseHBatch());
        assertEquals(TinyA.expected().get("h_loss").get("mse_loss").asDouble(), v.loss(), 1e-5);
        assertEquals(TinyA.expected().get("h_loss").get("predicted_embeddings").size(), v.weight());
        assertEquals(v.loss(), g.step(caseHBatch()).loss(), 1e-7);
    }
}
