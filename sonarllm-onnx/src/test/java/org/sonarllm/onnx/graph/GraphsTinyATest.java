package org.sonarllm.onnx.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.testing.TinyA;

class GraphsTinyATest {
    @TempDir
    Path tmp;

    static long[][] longs2(JsonNode n) {
        long[][] out = new long[n.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new long[n.get(i).size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = n.get(i).get(j).asLong();
            }
        }
        return out;
    }

    static SonarConfig dims(String side) throws Exception {
        Path cfg = TinyA.dir().resolve(side + "/config.json");
        return SonarConfig.fromHf(new ObjectMapper().readTree(cfg.toFile()), cfg.toString());
    }

    @Test
    void encoderGraphReproducesCaseB() throws Exception {
        Path f = tmp.resolve("encoder.onnx");
        // external data: the graph beside a copy of the checkpoint's own safetensors file, keys as Hugging Face stores them
        Files.copy(TinyA.dir().resolve("encoder/model.safetensors"), tmp.resolve("model.safetensors"));
        try (SafeTensors w = SafeTensors.open(tmp.resolve("model.safetensors"))) {
            SonarEncoderGraph.build(dims("encoder"), true, GraphWeights.external(w)).write(f);
        }
        JsonNode b = TinyA.expected().get("b_encoder");
        long[][] ids = longs2(b.get("input_ids"));
        long[][] mask = longs2(b.get("attention_mask"));
        float[][] exp = TinyA.floats2(b.get("embeddings"));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(f.toString(), new OrtSession.SessionOptions());
                OnnxTensor ti = OnnxTensor.createTensor(env, ids);
                OnnxTensor tm = OnnxTensor.createTensor(env, mask);
                OrtSession.Result r = s.run(Map.of("input_ids", ti, "attention_mask", tm))) {
            float[][] got = (float[][]) r.get(0).getValue();
            double max = 0;
            for (int i = 0; i < exp.length; i++) {
                for (int j = 0; j < exp[i].length; j++) {
                    max = Math.max(max, Math.abs(got[i][j] - exp[i][j]));
                }
            }
            System.out.println("encoder max abs diff " + max);
            assertTrue(max < 1e-4, "max diff " + max);
        }
    }

    @Test
    void decoderGraphsReproduceCaseC() throws Exception {
        Path dec = tmp.resolve("decoder.onnx");
        Path cross = tmp.resolve("decoder_cross.onnx");
        SonarConfig dims = dims("decoder");
        int layers = dims.decoderLayers();
        int heads = dims.decoderHeads();
        int dh = dims.decoderHeadDim();
        // inline: the weights copied into the graphs (lm_head stored separately, as tiny-a does)
        try (SafeTensors w = SafeTensors.open(TinyA.dir().resolve("decoder/model.safetensors"))) {
            SonarDecoderGraph.buildIncremental(dims, true, GraphWeights.inline(w)).write(dec);
            SonarDecoderGraph.buildCross(dims, GraphWeights.inline(w)).write(cross);
        }
        JsonNode c = TinyA.expected().get("c_teacher_forcing");
        float[][] emb = TinyA.floats2(c.get("embeddings"));
        long[][] ids = longs2(c.get("decoder_input_ids"));
        JsonNode logits = c.get("logits");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession sc = env.createSession(cross.toString(), new OrtSession.SessionOptions());
                OrtSession sd = env.createSession(dec.toString(), new OrtSession.SessionOptions());
                OnnxTensor te = OnnxTensor.createTensor(env, emb);
                OrtSession.Result rc = sc.run(Map.of("embedding", te))) {
            Map<String, OnnxTensor> in = new HashMap<>();
            in.put("input_ids", OnnxTensor.createTensor(env, ids));
            in.put("cross", (OnnxTensor) rc.get(0));
            int len = ids[0].length;
            int dc = SonarDecoderGraph.cacheHeadDim(dh);
            long[] scoreIds = new long[2 * len];
            for (int i = 0; i < 2; i++) {
                for (int t = 0; t < len; t++) {
                    scoreIds[i * len + t] = c.get("decoder_target_ids").get(i).get(t).asLong();
                }
            }
            in.put(SonarDecoderGraph.ROW_SENTENCE, OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {0, 1}),
                    new long[] {2}));
            in.put(SonarDecoderGraph.SEQLENS_K, OnnxTensor.createTensor(env, java.nio.IntBuffer.wrap(
                    new int[] {len - 1, len - 1}), new long[] {2}));
            in.put(SonarDecoderGraph.TOTAL_LENGTH, OnnxTensor.createTensor(env, java.nio.IntBuffer.wrap(new int[] {len}),
                    new long[] {}));
            in.put(SonarDecoderGraph.TOP_K, OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {3}), new long[] {1}));
            in.put(SonarDecoderGraph.SCORE_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(scoreIds), new long[] {2, len}));
            for (int l = 0; l < layers; l++) {
                for (String k : new String[] {"past_key_", "past_value_"}) {
                    in.put(k + l, OnnxTensor.createTensor(env, FloatBuffer.allocate(2 * heads * len * dc),
                            new long[] {2, heads, len, dc}));
                }
            }
            try (OrtSession.Result r = sd.run(in)) {
                float[][][] got = (float[][][]) r.get("logits").get().getValue();
                float[][][] topLp = (float[][][]) r.get(SonarDecoderGraph.TOP_LOG_PROBS).get().getValue();
                long[][][] topIds = (long[][][]) r.get(SonarDecoderGraph.TOP_IDS).get().getValue();
                float[][] scored = (float[][]) r.get(SonarDecoderGraph.SCORE_LOG_PROBS).get().getValue();
                // candidates and scored log-probs against a float64 log-softmax of the expected logits
                for (int i = 0; i < 2; i++) {
                    for (int t = 0; t < len; t++) {
                        double[] e = new double[logits.get(i).get(t).size()];
                        double mx = Double.NEGATIVE_INFINITY;
                        for (int v = 0; v < e.length; v++) {
                            e[v] = logits.get(i).get(t).get(v).asDouble();
                            mx = Math.max(mx, e[v]);
                        }
                        double z = 0;
                        for (double x : e) {
                            z += Math.exp(x - mx);
                        }
                        double lse = mx + Math.log(z);
                        Integer[] order = new Integer[e.length];
                        for (int v = 0; v < e.length; v++) {
                            order[v] = v;
                        }
                        java.util.Arrays.sort(order, (a, b) -> Double.compare(e[b], e[a]));
                        for (int j = 0; j < 3; j++) {
                            assertEquals(order[j].longValue(), topIds[i][t][j], "row " + i + " pos " + t + " rank " + j);
                            assertEquals(e[order[j]] - lse, topLp[i][t][j], 1e-3);
                        }
                        assertEquals(e[(int) scoreIds[i * len + t]] - lse, scored[i][t], 1e-3);
                    }
                }
                double max = 0;
                for (int i = 0; i < got.length; i++) {
                    for (int t = 0; t < got[i].length; t++) {
                        float[] e = TinyA.floats(logits.get(i).get(t));
                        assertEquals(e.length, got[i][t].length);
                        for (int v = 0; v < e.length; v++) {
                            max = Math.max(max, Math.abs(got[i][t][v] - e[v]));
                        }
                    }
                }
                System.out.println("decoder max abs logit diff " + max);
                assertTrue(max < 1e-3, "max diff " + max);
            }
            for (Map.Entry<String, OnnxTensor> e : in.entrySet()) {
                if (!e.getKey().equals("cross")) {
                    e.getValue().close();
                }
            }
        }
        assertTrue(Files.size(dec) > 0);
    }
}
