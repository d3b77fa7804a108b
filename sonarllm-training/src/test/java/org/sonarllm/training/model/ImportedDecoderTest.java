package org.sonarllm.training.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.InvalidInputException;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.convert.SonarConverter;
import org.sonarllm.onnx.graph.GraphWeights;
import org.sonarllm.onnx.graph.TeacherForcingDecoderGraph;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.testing.TinyA;

/**
 * ND4J's ONNX importer on the training decoder graph ({@link ImportedSonarDecoder}): logits equal
 * ORT's on the same graph and tiny-a case c; the decoder is frozen; bad feeds are rejected.
 */
class ImportedDecoderTest {
    @TempDir
    Path tmp;

    @Test
    void importedDecoderMatchesOrtAndCaseC() throws Exception {
        JsonNode c = TinyA.expected().get("c_teacher_forcing");
        float[][] emb = TinyA.floats2(c.get("embeddings"));
        long[][] ids = TinyA.longs2(c.get("decoder_input_ids"));
        Path f = tmp.resolve("tf.onnx");
        long pad = SonarConfig.PAD;
        // ORT runs the same graph with the weights inline
        try (SafeTensors w = SafeTensors.open(TinyA.dir().resolve("decoder/model.safetensors"))) {
            TeacherForcingDecoderGraph.buildWithPositionInput(ImportedFromWeights.dims(TinyA.dir().resolve("decoder")),
                    true, GraphWeights.inline(w)).write(f);
        }
        int t = ids[0].length;
        long[][] pos = new long[ids.length][t];
        for (int i = 0; i < ids.length; i++) {
            for (int p = 0; p < t; p++) {
                pos[i][p] = pad + 1 + p;
            }
        }
        float[][][] ort;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(f.toString(), new OrtSession.SessionOptions());
                OnnxTensor ti = OnnxTensor.createTensor(env, ids);
                OnnxTensor tp = OnnxTensor.createTensor(env, pos);
                OnnxTensor te = OnnxTensor.createTensor(env, emb);
                OrtSession.Result r = s.run(Map.of(TeacherForcingDecoderGraph.INPUT_IDS, ti,
                        TeacherForcingDecoderGraph.POSITION_IDS, tp, TeacherForcingDecoderGraph.EMBEDDING, te))) {
            ort = (float[][][]) r.get(TeacherForcingDecoderGraph.LOGITS).orElseThrow().getValue();
        }

        ImportedSonarDecoder dec = ImportedFromWeights.load(TinyA.dir().resolve("decoder"));
        assertTrue(dec.graph().variables().stream().noneMatch(v -> v.getVariableType() == VariableType.VARIABLE),
                "decoder frozen");
        Map<String, INDArray> feeds = dec.feeds(ids, emb);
        assertArrayEquals(pos[1], feeds.get(TeacherForcingDecoderGraph.POSITION_IDS).getRow(1).toLongVector());
        INDArray got = dec.logits(ids, emb);
        double vsOrt = 0;
        double vsRef = 0;
        for (int i = 0; i < ids.length; i++) {
            for (int p = 0; p < t; p++) {
                float[] e = TinyA.floats(c.get("logits").get(i).get(p));
                for (int v = 0; v < e.length; v++) {
                    double g = got.getDouble(i, p, v);
                    vsOrt = Math.max(vsOrt, Math.abs(g - ort[i][p][v]));
                    vsRef = Math.max(vsRef, Math.abs(g - e[v]));
                }
            }
        }
        assertTrue(vsOrt < 1e-4, "max diff vs ORT " + vsOrt);
        assertTrue(vsRef < 1e-3, "max diff vs expected.json " + vsRef);

        long[][] ragged = {ids[0], java.util.Arrays.copyOf(ids[1], t - 1)};
        assertThrows(InvalidInputException.class, () -> dec.feeds(ragged, emb));
        assertThrows(InvalidInputException.class, () -> dec.feeds(ids, new float[][] {emb[0]}));
        assertThrows(InvalidInputException.class, () -> dec.feeds(ids, new float[][] {emb[0], new float[3]}));
    }

    @Test
    void bundleTrainingGraphImportsAndReproducesCaseC() {
        JsonNode c = TinyA.expected().get("c_teacher_forcing");
        float[][] emb = TinyA.floats2(c.get("embeddings"));
        long[][] ids = TinyA.longs2(c.get("decoder_input_ids"));
        // the graph file the converter wrote into the bundle, not one rebuilt from weights
        ImportedSonarDecoder dec = ImportedSonarDecoder.fromBundle(TinyABundle.get());
        assertTrue(dec.graph().variables().stream().noneMatch(v -> v.getVariableType() == VariableType.VARIABLE),
                "decoder frozen");
        INDArray got = dec.logits(ids, emb);
        double vsRef = maxDiffToFixture(got, c);
        assertTrue(vsRef < 1e-3, "max diff vs expected.json " + vsRef);

        // training stops at the final states and projects them with the shared head: the same logits
        INDArray viaHead = dec.head().logits(dec.hidden(ids, emb));
        assertArrayEquals(new long[] {ids.length * (long) ids[0].length, dec.vocabSize()}, viaHead.shape());
        double vsGraph = viaHead.sub(got.reshape(viaHead.shape())).amaxNumber().doubleValue();
        double scale = got.amaxNumber().doubleValue();
        assertTrue(scale > 1 && vsGraph <= 1e-5 * scale, "head logits vs graph logits " + vsGraph + " (largest " + scale + ")");
    }

    @Test
    void float16BundleTrainsThroughItsRoundedWeights() throws Exception {
        Path src = TinyA.dir();
        Path half = tmp.resolve("f16");
        SonarConverter.convert(src.resolve("encoder"), src.resolve("decoder"), src.resolve("tokenizer"), half, Map.of(),
                OnnxConceptEncoder::open, (s, done, total) -> { }, SonarConverter.Quantization.FLOAT16);
        // the reference: tiny-a's decoder checkpoint saved in float16, its graph built from it (weights widened)
        Path ckpt = TinyABundle.halfCheckpoint("decoder", tmp.resolve("decoder16"));
        JsonNode c = TinyA.expected().get("c_teacher_forcing");
        float[][] emb = TinyA.floats2(c.get("embeddings"));
        long[][] ids = TinyA.longs2(c.get("decoder_input_ids"));
        INDArray got = ImportedSonarDecoder.fromBundle(half).logits(ids, emb);
        INDArray ref = ImportedFromWeights.load(ckpt).logits(ids, emb);
        double vsRounded = got.sub(ref).amaxNumber().doubleValue();
        assertTrue(vsRounded <= 1e-5 * ref.amaxNumber().doubleValue(), "vs the rounded decoder " + vsRounded);
        double vsFloat32 = maxDiffToFixture(got, c);
        double scale = ref.amaxNumber().doubleValue();
        // weights rounded by at most 2^-11 of themselves: the logits move, by well under 1 % of their range
        assertTrue(vsFloat32 > 0 && vsFloat32 < 1e-2 * scale, "vs tiny-a's float32 logits " + vsFloat32);
    }

    /** @return the largest |logit - tiny-a's teacher-forcing logit| over every position and id of case c */
    private static double maxDiffToFixture(INDArray logits, JsonNode c) {
        double max = 0;
        for (int i = 0; i < c.get("logits").size(); i++) {
            for (int p = 0; p < c.get("logits").get(i).size(); p++) {
                float[] e = TinyA.floats(c.get("logits").get(i).get(p));
                for (int v = 0; v < e.length; v++) {
                    max = Math.max(max, Math.abs(logits.getDouble(i, p, v) - e[v]));
                }
            }
        }
        return max;
    }
}
