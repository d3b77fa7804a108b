package org.sonarllm.cli;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.SplittableRandom;
import org.sonarllm.onnx.proto.OnnxProto.GraphProto;
import org.sonarllm.onnx.proto.OnnxProto.ModelProto;
import org.sonarllm.onnx.proto.OnnxProto.NodeProto;
import org.sonarllm.onnx.proto.OnnxProto.OperatorSetIdProto;
import org.sonarllm.onnx.proto.OnnxProto.TensorProto;
import org.sonarllm.onnx.proto.OnnxProto.TensorShapeProto;
import org.sonarllm.onnx.proto.OnnxProto.TypeProto;
import org.sonarllm.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * The float32 GEMM rate this machine reaches through ONNX Runtime's MLAS: one MatMul {@code [m, k] x [k, n]}
 * with a constant (pre-packed) right-hand side, the way the model graphs use it, on a session with the
 * benchmark's thread count; the best of repeats. The decoder's GEMM efficiency is measured against this.
 *
 * <pre>{@code
 * double gflops = GemmPeak.measure(2048, 2048, 2048, 2, 5);
 * }</pre>
 */
final class GemmPeak {
    private GemmPeak() {}

    /**
     * @param m rows of the input @param k inner size @param n columns of the weight
     * @param threads intra-op threads @param repeats timed runs after one warm-up
     * @return the best rate in GFLOP/s (2 m k n per run)
     */
    static double measure(int m, int k, int n, int threads, int repeats) throws OrtException {
        SplittableRandom r = new SplittableRandom(5);
        ByteBuffer w = ByteBuffer.allocate(k * n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < k * n; i++) {
            w.putFloat((float) (r.nextDouble() - 0.5));
        }
        w.flip();
        TensorProto weight = TensorProto.newBuilder().setName("w").setDataType(1).addDims(k).addDims(n)
                .setRawData(ByteString.copyFrom(w)).build();
        GraphProto g = GraphProto.newBuilder().setName("gemm").addInitializer(weight)
                .addInput(info("x", m, k)).addOutput(info("y", m, n))
                .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("y").addInput("x").addInput("w").addOutput("y"))
                .build();
        byte[] model = ModelProto.newBuilder().setIrVersion(8).setGraph(g)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).build().toByteArray();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[] x = new float[m * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() - 0.5);
        }
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(threads);
            try (OrtSession s = env.createSession(model, so);
                    OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {m, k})) {
                double best = Double.MAX_VALUE;
                for (int i = 0; i <= repeats; i++) {
                    long t0 = System.nanoTime();
                    try (OrtSession.Result res = s.run(Map.of("x", in))) {
                        double sec = (System.nanoTime() - t0) / 1e9;
                        if (i > 0) {
                            best = Math.min(best, sec);
                        }
                    }
                }
                return 2.0 * m * k * n / best / 1e9;
            }
        }
    }

    private static ValueInfoProto info(String name, long rows, long cols) {
        TensorShapeProto shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(rows))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(cols)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(shape))).build();
    }
}
