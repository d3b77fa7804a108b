package org.sonarllm.onnx.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.onnx.weights.BlockQuantizer;

/**
 * ONNX Runtime's MatMulNBits reads BlockQuantizer's layout (codes, scales, zero points) as {@code
 * dequantize} says: with full-precision accumulation (accuracy_level 0) the product equals the float64
 * product with the dequantized matrix, for 8 and 4 bits, a short last block and several rows.
 */
class QuantizedKernelsTest {
    @TempDir
    Path tmp;

    @Test
    void matMulNBitsComputesWithTheDequantizedWeights() throws Exception {
        int n = 24;
        int k = 80; // blocks of 32: 32, 32, 16
        int m = 3;
        SplittableRandom r = new SplittableRandom(9);
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * 0.2);
        }
        float[] x = new float[m * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int bits : new int[] {8, 4}) {
            BlockQuantizer.Quantized q = BlockQuantizer.quantize(FloatBuffer.wrap(w), n, k, bits, 32);
            OnnxGraphBuilder g = new OnnxGraphBuilder("q").domain("com.microsoft", 1);
            String in = g.input("x", ElemType.FLOAT, Dim.dyn("m"), Dim.of(k));
            String codes = g.rawInitializer("codes", ElemType.UINT8, ByteBuffer.wrap(q.codes()), n, q.blocks(),
                    32 * bits / 8);
            ByteBuffer sb = ByteBuffer.allocate(q.scales().length * 4).order(ByteOrder.LITTLE_ENDIAN);
            sb.asFloatBuffer().put(q.scales());
            String scales = g.rawInitializer("scales", ElemType.FLOAT, sb, (long) n * q.blocks());
            String zps = g.rawInitializer("zero_points", ElemType.UINT8, ByteBuffer.wrap(q.zeroPoints()),
                    q.zeroPoints().length);
            String y = g.nodeMulti("MatMulNBits", "com.microsoft", List.of(in, codes, scales, zps), 1, Attr.i("K", k),
                    Attr.i("N", n), Attr.i("bits", bits), Attr.i("block_size", 32), Attr.i("accuracy_level", 0)).get(0);
            g.output(y, "y", ElemType.FLOAT, Dim.dyn("m"), Dim.of(n));
            Path f = tmp.resolve("q" + bits + ".onnx");
            g.write(f);
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession s = env.createSession(f.toString(), new OrtSession.SessionOptions());
                    OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {m, k});
                    OrtSession.Result res = s.run(Map.of("x", t))) {
                float[] got = new float[m * n];
                ((OnnxTensor) res.get(0)).getFloatBuffer().get(got);
                for (int i = 0; i < m; i++) {
                    for (int o = 0; o < n; o++) {
                        double want = 0;
                        for (int c = 0; c < k; c++) {
                            want += (double) x[i * k + c] * q.dequantize(o, c);
                        }
                        assertEquals(want, got[i * n + o], 1e-4, bits + " bits, row " + i + ", output " + o);
                    }
                }
            }
            Files.delete(f);
        }
    }
}
