package org.sonarllm.onnx.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.onnx.proto.OnnxProto.ModelProto;
import org.sonarllm.onnx.proto.OnnxProto.NodeProto;
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.testing.TinyA;

/** The ND4J-oriented teacher-forcing graph: tiny-a case c logits on ORT, and its op-set constraints. */
class TeacherForcingGraphTest {
    @TempDir
    Path tmp;

    /** Ops the ND4J M2.1 importer is known to reject in this graph. */
    static final Set<String> FORBIDDEN = Set.of("LayerNormalization", "Pow", "Trilu", "Split", "ConstantOfShape", "Where");

    @Test
    void dynamicAndFixedLengthReproduceCaseC() throws Exception {
        JsonNode c = TinyA.expected().get("c_teacher_forcing");
        float[][] emb = TinyA.floats2(c.get("embeddings"));
        long[][] ids = GraphsTinyATest.longs2(c.get("decoder_input_ids"));
        int t = ids[0].length;
        for (int fixed : new int[] {0, t}) {
            Path f = tmp.resolve("tf" + fixed + ".onnx");
            try (SafeTensors w = SafeTensors.open(TinyA.dir().resolve("decoder/model.safetensors"))) {
                TeacherForcingDecoderGraph.build(GraphsTinyATest.dims("decoder"), true, GraphWeights.inline(w), fixed).write(f);
            }
            ModelProto m = ModelProto.parseFrom(Files.readAllBytes(f));
            Set<String> outputs = new HashSet<>();
            for (NodeProto n : m.getGraph().getNodeList()) {
                assertFalse(FORBIDDEN.contains(n.getOpType()), "forbidden op " + n.getOpType());
                assertEquals(n.getOutput(0), n.getName(), "node named after its output");
                assertTrue(outputs.add(n.getOutput(0)), "unique output " + n.getOutput(0));
                if (n.getOpType().equals("MatMul")) {
                    for (String in : n.getInputList()) {
                        assertTrue(m.getGraph().getInitializerList().stream().noneMatch(i -> i.getName().equals(in)),
                                "MatMul with a weight initializer " + in);
                    }
                }
            }
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession s = env.createSession(f.toString(), new OrtSession.SessionOptions());
                    OnnxTensor ti = OnnxTensor.createTensor(env, ids);
                    OnnxTensor te = OnnxTensor.createTensor(env, emb);
                    OrtSession.Result r = s.run(Map.of(TeacherForcingDecoderGraph.INPUT_IDS, ti,
                            TeacherForcingDecoderGraph.EMBEDDING, te))) {
                float[][][] got = (float[][][]) r.get(TeacherForcingDecoderGraph.LOGITS).orElseThrow().getValue();
                double max = 0;
                for (int i = 0; i < got.length; i++) {
                    for (int p = 0; p < t; p++) {
                        float[] e = TinyA.floats(c.get("logits").get(i).get(p));
                        for (int v = 0; v < e.length; v++) {
                            max = Math.max(max, Math.abs(e[v] - got[i][p][v]));
                        }
                    }
                }
                assertTrue(max < 1e-3, "fixed=" + fixed + " max diff " + max);
            }
        }
    }

    /**
     * The bundle form: every weight a graph input named by its key with its full static shape, no weight
     * inside the graph; fed from the safetensors file it reproduces case c.
     */
    @Test
    void weightsAsInputsReproduceCaseC() throws Exception {
        JsonNode c = TinyA.expected().get("c_teacher_forcing");
        float[][] emb = TinyA.floats2(c.get("embeddings"));
        long[][] ids = GraphsTinyATest.longs2(c.get("decoder_input_ids"));
        int t = ids[0].length;
        long[][] pos = new long[ids.length][t];
        for (long[] row : pos) {
            for (int p = 0; p < t; p++) {
                row[p] = 2 + p; // padding_idx + 1 + p
            }
        }
        Path f = tmp.resolve("tf-inputs.onnx");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (SafeTensors w = SafeTensors.open(TinyA.dir().resolve("decoder/model.safetensors"))) {
            TeacherForcingDecoderGraph.buildWithPositionInput(GraphsTinyATest.dims("decoder"), true, GraphWeights.inputs(w))
                    .write(f);
            ModelProto m = ModelProto.parseFrom(Files.readAllBytes(f));
            Map<String, OnnxTensor> feeds = new java.util.HashMap<>();
            int weights = 0;
            for (var in : m.getGraph().getInputList()) {
                if (w.contains(in.getName())) {
                    weights++;
                    List<Long> dims = in.getType().getTensorType().getShape().getDimList().stream()
                            .map(d -> d.getDimValue()).toList();
                    assertEquals(java.util.Arrays.stream(w.shape(in.getName())).boxed().toList(), dims, in.getName());
                    feeds.put(in.getName(), OnnxTensor.createTensor(env, w.floatBuffer(in.getName()), w.shape(in.getName())));
                }
            }
            assertEquals(2 + 2 * 20 + 2, weights, "embedding, lm_head, 20 per layer, final norm");
            assertTrue(m.getGraph().getInitializerList().stream().allMatch(i -> !w.contains(i.getName())),
                    "no weight stored in the graph");
            feeds.put(TeacherForcingDecoderGraph.INPUT_IDS, OnnxTensor.createTensor(env, ids));
            feeds.put(TeacherForcingDecoderGraph.POSITION_IDS, OnnxTensor.createTensor(env, pos));
            feeds.put(TeacherForcingDecoderGraph.EMBEDDING, OnnxTensor.createTensor(env, emb));
            try (OrtSession s = env.createSession(f.toString(), new OrtSession.SessionOptions());
                    OrtSession.Result r = s.run(feeds)) {
                float[][][] got = (float[][][]) r.get(TeacherForcingDecoderGraph.LOGITS).orElseThrow().getValue();
                double max = 0;
                for (int i = 0; i < got.length; i++) {
                    for (int p = 0; p < t; p++) {
                        float[] e = TinyA.floats(c.get("logits").get(i).get(p));
                        for (int v = 0; v < e.length; v++) {
                            max = Math.max(max, Math.abs(e[v] - got[i][p][v]));
                        }
                    }
                }
                assertTrue(max < 1e-3, "max diff " + max);
            } finally {
                feeds.values().forEach(OnnxTensor::close);
            }
        }
    }

    @Test
    void targetLogProbSumMatches() throws Exception {
        JsonNode c = TinyA.expected().get("c_teacher_forcing");
        float[][] emb = TinyA.floats2(c.get("embeddings"));
        long[][] ids = GraphsTinyATest.longs2(c.get("decoder_input_ids"));
        long[][] tgt = GraphsTinyATest.longs2(c.get("decoder_target_ids"));
        Path f = tmp.resolve("tf.onnx");
        try (SafeTensors w = SafeTensors.open(TinyA.dir().resolve("decoder/model.safetensors"))) {
            TeacherForcingDecoderGraph.build(GraphsTinyATest.dims("decoder"), true, GraphWeights.inline(w)).write(f);
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(f.toString(), new OrtSession.SessionOptions());
                OnnxTensor ti = OnnxTensor.createTensor(env, ids);
                OnnxTensor te = OnnxTensor.createTensor(env, emb);
                OrtSession.Result r = s.run(Map.of("decoder_input_ids", ti, "embedding", te))) {
            float[][][] got = (float[][][]) r.get(0).getValue();
            for (int i = 0; i < got.length; i++) {
                double sum = 0;
                for (int p = 0; p < got[i].length; p++) {
                    double mx = Double.NEGATIVE_INFINITY;
                    for (float x : got[i][p]) {
                        mx = Math.max(mx, x);
                    }
                    double z = 0;
                    for (float x : got[i][p]) {
                        z += Math.exp(x - mx);
                    }
                    sum += got[i][p][(int) tgt[i][p]] - mx - Math.log(z);
                }
                assertEquals(c.get("target_logprob_sum").get(i).asDouble(), sum, 1e-3);
            }
        }
        assertTrue(List.of(ids).size() == 2);
    }
}
