package org.sonarllm.training.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.samediff.frameworkimport.onnx.importer.OnnxFrameworkImporter;
import org.sonarllm.onnx.convert.M2M100Weights;
import org.sonarllm.onnx.convert.TeacherForcingDecoderGraph;
import org.sonarllm.testing.TinyA;

/** ND4J's ONNX importer on the training decoder graph: logits equal ORT's and tiny-a case c. */
class ImportedDecoderTest {
    @TempDir
    Path tmp;

    @Test
    void importedDecoderMatchesOrtAndCaseC() throws Exception {
        JsonNode c = TinyA.expected().get("c_teacher_forcing");
        float[][] emb = TinyA.floats2(c.get("embeddings"));
        JsonNode idsJ = c.get("decoder_input_ids");
        long[][] ids = new long[idsJ.size()][];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = java.util.Arrays.stream(TinyA.ints(idsJ.get(i))).asLongStream().toArray();
        }
        Path f = tmp.resolve("tf.onnx");
        long pad;
        try (M2M100Weights w = M2M100Weights.open(TinyA.dir().resolve("decoder"), M2M100Weights.Side.DECODER)) {
            TeacherForcingDecoderGraph.buildWithPositionInput(w).write(f);
            pad = w.padId();
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

        SameDiff sd = new OnnxFrameworkImporter().runImport(f.toString(), Map.of(), false);
        for (DifferentialFunction op : sd.ops()) {
            if (op instanceof Mmul m) {
                while (m.numTArguments() > 0) {
                    m.removeTArgument(m.getTArgument(0));
                }
                m.addTArgument(1.0, 0.0);
                m.setPropertiesForFunction(new HashMap<>(Map.of("alpha", 1.0, "beta", 0.0)));
            }
        }
        sd.convertToConstants(new java.util.ArrayList<>(sd.variables().stream()
                .filter(v -> v.getVariableType() == org.nd4j.autodiff.samediff.VariableType.VARIABLE).toList()));
        Map<String, INDArray> feeds = new HashMap<>();
        feeds.put(TeacherForcingDecoderGraph.INPUT_IDS, Nd4j.createFromArray(ids));
        feeds.put(TeacherForcingDecoderGraph.POSITION_IDS, Nd4j.createFromArray(pos));
        feeds.put(TeacherForcingDecoderGraph.EMBEDDING, Nd4j.createFromArray(emb));
        INDArray got = sd.output(feeds, TeacherForcingDecoderGraph.LOGITS).get(TeacherForcingDecoderGraph.LOGITS);
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
    }
}
