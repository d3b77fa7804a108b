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

    /** y = LayerNorm(x W^T + b) built with the ORT and PORTABLE blocks, inline and with external data. */
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
        for (NnBlocks.Style style : NnBlocks.Style.values()) {
            for (long threshold : new long[] {Long.MAX_VALUE, 1000}) {
                OnnxGraphBuilder g = new OnnxGraphBuilder("t").externalDataThreshold(threshold);
                NnBlocks nn = new NnBlocks(g, style);
                String xi = g.input("x", ElemType.FLOAT, Dim.dyn("rows"), Dim.of(in));
                String xs = style == NnBlocks.Style.ORT ? g.node("Unsqueeze", List.of(xi, g.constLongs(0))) : xi;
                String y = nn.layerNorm(nn.linear(xs, le(w), le(b), out, in, "fc"), le(gamma), le(beta), 1e-5f, "ln");
                g.output(y, "y", ElemType.FLOAT, style == NnBlocks.Style.ORT
                        ? new Dim[] {Dim.of(1), Dim.dyn("rows"), Dim.of(out)} : new Dim[] {Dim.dyn("rows"), Dim.of(out)});
                Path f = tmp.resolve(style + "-" + threshold + ".onnx");
                List<Path> files = g.write(f);
                assertEquals(threshold == 1000 ? 2 : 1, files.size());
                ModelProto m = ModelProto.parseFrom(Files.readAllBytes(f));
                long external = m.getGraph().getInitializerList().stream()
                        .filter(t -> t.getDataLocation() == TensorProto.DataLocation.EXTERNAL).count();
                assertEquals(threshold == 1000, external > 0);
                OrtEnvironment env = OrtEnvironment.getEnvironment();
                try (OrtSession s = env.createSession(f.toString(), new OrtSession.SessionOptions());
                        OnnxTensor t = OnnxTensor.createTensor(env, x);
                        OrtSession.Result r = s.run(Map.of("x", t))) {
                    Object v = r.get(0).getValue();
                    float[][] got = style == NnBlocks.Style.ORT ? ((float[][][]) v)[0] : (float[][]) v;
                    for (int i = 0; i < rows; i++) {
                        for (int o = 0; o < out; o++) {
                            assertEquals(ref[i][o], got[i][o], 1e-4, style + " " + threshold);
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

    @Test
    void transposeIsCorrect() {
        float[] a = {1, 2, 3, 4, 5, 6};
        ByteBuffer t = NnBlocks.transpose(le(a), 2, 3);
        float[] got = new float[6];
        t.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(got);
        assertEquals(List.of(1f, 4f, 2f, 5f, 3f, 6f), List.of(got[0], got[1], got[2], got[3], got[4], got[5]));
    }
}
