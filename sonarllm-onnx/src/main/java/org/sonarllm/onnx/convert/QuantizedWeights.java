package org.sonarllm.onnx.convert;

import java.util.Map;
import org.sonarllm.onnx.graph.GraphWeights;
import org.sonarllm.onnx.weights.BlockQuantizer;
import org.sonarllm.onnx.weights.M2M100Weights;
import org.sonarllm.onnx.weights.SafeTensorsWriter;

/**
 * Adds an encoder's or decoder's weights to a safetensors writer with every matrix of a linear layer or
 * embedding ({@code *.weight} of rank 2) block-quantized under {@code key + .q8|.q4}, {@code .scales}, {@code
 * .zero_points} (the names the graph builders look for, {@link GraphWeights}), everything else float32 as
 * stored. An embedding whose rows the blocks do not tile stays float32 (the gather kernel needs whole blocks).
 * Each matrix is quantized once, when the writer reaches its codes, and dropped after its zero points.
 */
final class QuantizedWeights {
    private QuantizedWeights() {}

    static void addTo(SafeTensorsWriter w, M2M100Weights weights, SonarConverter.Quantization q) {
        for (Map.Entry<String, String> e : weights.tensors().entrySet()) {
            String key = e.getKey();
            String src = e.getValue();
            long[] shape = weights.source().shape(src);
            boolean embedding = key.endsWith("embed_tokens.weight");
            boolean matrix = shape.length == 2 && key.endsWith(".weight") && !key.contains("layer_norm");
            if (!matrix || (embedding && shape[1] % q.block() != 0)) {
                w.copy(key, weights.source(), src);
                continue;
            }
            int rows = Math.toIntExact(shape[0]);
            int cols = Math.toIntExact(shape[1]);
            int blocks = (cols + q.block() - 1) / q.block();
            Memo memo = new Memo(() -> BlockQuantizer.quantize(weights.source().floatBuffer(src), rows, cols, q.bits(),
                    q.block()));
            // names sort codes (.q4/.q8) < .scales < .zero_points: the writer reaches the codes first
            w.addBytes(key + (q.bits() == 8 ? GraphWeights.CODES8 : GraphWeights.CODES4),
                    new long[] {rows, blocks, (long) q.block() * q.bits() / 8}, () -> memo.get().codes());
            w.add(key + GraphWeights.SCALES, new long[] {rows, blocks}, () -> memo.get().scales());
            w.addBytes(key + GraphWeights.ZERO_POINTS, new long[] {rows, q.bits() == 8 ? blocks : (blocks + 1) / 2},
                    () -> memo.take().zeroPoints());
        }
    }

    /** One quantization shared by the three tensors of a matrix, released after the last. */
    private static final class Memo {
        private final java.util.function.Supplier<BlockQuantizer.Quantized> make;
        private BlockQuantizer.Quantized value;

        Memo(java.util.function.Supplier<BlockQuantizer.Quantized> make) {
            this.make = make;
        }

        BlockQuantizer.Quantized get() {
            if (value == null) {
                value = make.get();
            }
            return value;
        }

        BlockQuantizer.Quantized take() {
            BlockQuantizer.Quantized v = get();
            value = null;
            return v;
        }
    }
}
