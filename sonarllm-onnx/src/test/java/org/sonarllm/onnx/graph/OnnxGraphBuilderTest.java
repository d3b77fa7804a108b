package org.sonarllm.onnx.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.onnx.proto.OnnxProto.ModelProto;
import org.sonarllm.onnx.proto.OnnxProto.TensorProto;
import org.sonarllm.onnx.testing.MemoryTensors;
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.onnx.weights.SafeTensorsWriter;

class OnnxGraphBuilderTest {
    @TempDir
    Path tmp;

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    /** y = LayerNorm(x W^T + b) built with the ORT and PORTABLE blocks, inline, with external data, and from a safetensors file. */
    @Test
    void linearAndLayerNormMatchJavaReferenceInBothStylesAndStorageModes() throws Exception {
        int in = 48;
        int out = 40;
        int rows = 3;
        float[] w = random(out * in, 1);
        float[] b = random(out, 2);
        float[] gamma = random(out, 3);
        float[] beta = random(out, 4);
        float[][] x = new float[rows][];
        for (int i = 0; i < rows; i++) {
            x[i] = random(in, 10 + i);
        }
        double[][] ref = new double[rows][out];
        for (int i = 0; i < rows; i++) {
            double[] h = new double[out];
            double mean = 0;
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int k = 0; k < in; k++) {
                    s += (double) x[i][k] * w[o * in + k];
                }
                h[o] = s;
                mean += s / out;
            }
            double var = 0;
            for (double v : h) {
                var += (v - mean) * (v - mean) / out;
            }
            for (int o = 0; o < out; o++) {
                ref[i][o] = (h[o] - mean) / Math.sqrt(var + 1e-5) * gamma[o] + beta[o];
            }
        }
        MemoryTensors m = new MemoryTensors().put("fc.weight", w, out, in).put("fc.bias", b, out)
                .put("ln.weight", gamma, out).put("ln.bias", beta, out);
        Path st = tmp.resolve("w.safetensors");
        new SafeTensorsWriter().add("fc.weight", w, out, in).add("fc.bias", b, out).add("ln.weight", gamma, out)
                .add("ln.bias", beta, out).write(st);
        for (NnBlocks.Style style : NnBlocks.Style.values()) {
            // inline; inline moved to <file>.data above a 1000-byte threshold; external data in a safetensors file
            for (String mode : new String[] {"inline", "data", "safetensors"}) {
                try (SafeTensors file = SafeTensors.open(st)) {
                    OnnxGraphBuilder g = new OnnxGraphBuilder("t").externalDataThreshold(mode.equals("data") ? 1000
                            : Long.MAX_VALUE);
                    NnBlocks nn = new NnBlocks(g, style, mode.equals("safetensors") ? GraphWeights.external(file)
                            : GraphWeights.inline(m));
                    String xi = g.input("x", ElemType.FLOAT, Dim.dyn("rows"), Dim.of(in));
                    String xs = style == NnBlocks.Style.ORT ? g.node("Unsqueeze", List.of(xi, g.constLongs(0))) : xi;
                    String y = nn.layerNorm(nn.linear(xs, "fc.", out, in), "ln.", out, 1e-5f);
                    g.output(y, "y", ElemType.FLOAT, style == NnBlocks.Style.ORT
                            ? new Dim[] {Dim.of(1), Dim.dyn("rows"), Dim.of(out)} : new Dim[] {Dim.dyn("rows"), Dim.of(out)});
                    Path f = tmp.resolve(style + "-" + mode + ".onnx");
                    List<Path> files = g.write(f);
                    assertEquals(mode.equals("data") ? 2 : 1, files.size());
                    ModelProto mp = ModelProto.parseFrom(Files.readAllBytes(f));
                    List<TensorProto> external = mp.getGraph().getInitializerList().stream()
                            .filter(t -> t.getDataLocation() == TensorProto.DataLocation.EXTERNAL).toList();
                    assertEquals(!mode.equals("inline"), !external.isEmpty(), mode);
                    if (mode.equals("safetensors")) {
                        assertEquals(4, external.size());
                        external.forEach(t -> assertEquals("w.safetensors", t.getExternalData(0).getValue()));
                    }
                    OrtEnvironment env = OrtEnvironment.getEnvironment();
                    try (OrtSession s = env.createSession(f.toString(), new OrtSession.SessionOptions());
                            OnnxTensor t = OnnxTensor.createTensor(env, x);
                            OrtSession.Result r = s.run(Map.of("x", t))) {
                        Object v = r.get(0).getValue();
                        float[][] got = style == NnBlocks.Style.ORT ? ((float[][][]) v)[0] : (float[][]) v;
                        for (int i = 0; i < rows; i++) {
                            for (int o = 0; o < out; o++) {
                                assertEquals(ref[i][o], got[i][o], 1e-4, style + " " + mode);
                            }
                        }
                    }
                }
            }
        }
    }

    static ByteBuffer le(float[] a) {
        ByteBuffer b = ByteBuffer.allocate(a.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(a);
        return b;
    }

    @Test
    void namesAreUniqueAndNodesAreNamedAfterOutputs() {
        OnnxGraphBuilder g = new OnnxGraphBuilder("t");
        String a = g.uniqueName("x");
        String b = g.uniqueName("x");
        assertNotEquals(a, b);
        g.input("in", ElemType.FLOAT, Dim.of(2));
        assertThrows(IllegalArgumentException.class, () -> g.input("in", ElemType.FLOAT, Dim.of(2)));
        String w1 = g.initializer("w", new float[] {1, 2}, 2);
        String w2 = g.initializer("w", new float[] {3, 4}, 2);
        assertNotEquals(w1, w2);
        assertThrows(IllegalArgumentException.class, () -> g.initializer("z", new float[] {1, 2, 3}, 2));
        String s = g.node("Add", List.of("in", w1));
        assertThrows(IllegalArgumentException.class, () -> g.node("Add", s, List.of("in", w2)));
        g.output(s, "out", ElemType.FLOAT, Dim.of(2));
        ModelProto m = g.build();
        m.getGraph().getNodeList().forEach(n -> assertEquals(n.getOutput(0), n.getName()));
        assertEquals(List.of("out"), g.outputNames());
        assertTrue(m.getOpsetImport(0).getVersion() >= 17);
    }

}
