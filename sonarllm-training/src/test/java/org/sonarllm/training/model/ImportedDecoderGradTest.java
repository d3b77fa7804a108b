package org.sonarllm.training.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.onnx.graph.TeacherForcingDecoderGraph;
import org.sonarllm.testing.TinyA;

/** The imported decoder's gradient w.r.t. the embedding equals the hand-written FrozenSonarDecoder's. */
class ImportedDecoderGradTest {
    @Test
    void gradientWrtEmbeddingMatchesHandWrittenDecoder() {
        JsonNode c = TinyA.expected().get("c_teacher_forcing");
        float[][] emb = TinyA.floats2(c.get("embeddings"));
        long[][] ids = TinyA.longs2(c.get("decoder_input_ids"));
        int b = ids.length;
        int t = ids[0].length;
        FrozenSonarDecoder hand = FrozenSonarDecoder.load(TinyA.dir().resolve("decoder"));
        int v = hand.vocabSize();
        Nd4j.getRandom().setSeed(7);
        INDArray probe = Nd4j.rand(DataType.FLOAT, b, t, v).subi(0.5);

        SameDiff hs = SameDiff.create();
        SDVariable he = hs.var("e", Nd4j.createFromArray(emb));
        SDVariable hl = hand.attach(hs, he, DataType.FLOAT);
        hl.mul(hs.constant("probe", probe.reshape((long) b * t, v))).sum("loss").markAsLoss();
        INDArray want = hs.calculateGradients(hand.feeds(ids, DataType.FLOAT), "e").get("e");

        ImportedSonarDecoder dec = ImportedFromWeights.load(TinyA.dir().resolve("decoder"));
        SameDiff sd = dec.graph();
        Map<String, INDArray> f = new HashMap<>(dec.feeds(ids, emb));
        SDVariable ev = sd.getVariable(TeacherForcingDecoderGraph.EMBEDDING);
        ev.setArray(f.remove(TeacherForcingDecoderGraph.EMBEDDING));
        sd.convertToVariables(List.of(ev));
        sd.getVariable(TeacherForcingDecoderGraph.LOGITS).mul(sd.constant("probe", probe)).sum("loss").markAsLoss();
        INDArray got = sd.calculateGradients(f, TeacherForcingDecoderGraph.EMBEDDING)
                .get(TeacherForcingDecoderGraph.EMBEDDING);
        double max = 0;
        double scale = 0;
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < emb[0].length; j++) {
                max = Math.max(max, Math.abs(want.getDouble(i, j) - got.getDouble(i, j)));
                scale = Math.max(scale, Math.abs(want.getDouble(i, j)));
            }
        }
        assertTrue(scale > 0 && max < 1e-3 * Math.max(1, scale), "max grad diff " + max + " (scale " + scale + ")");
    }
}
