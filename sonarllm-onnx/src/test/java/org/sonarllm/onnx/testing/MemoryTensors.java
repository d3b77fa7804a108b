package org.sonarllm.onnx.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.sonarllm.ModelFormatException;
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.onnx.weights.TensorSource;

/**
 * Test helper: float32 tensors held in memory as a {@link TensorSource} (weights transformed by a test
 * before a graph is built from them).
 *
 * <pre>{@code
 * MemoryTensors m = new MemoryTensors().put("w", new float[] {1, 2, 3, 4}, 2, 2);
 * }</pre>
 */
public final class MemoryTensors implements TensorSource {
    private record T(long[] shape, float[] data) {}

    private final Map<String, T> tensors = new TreeMap<>();

    /** @param name key @param data values @param shape dims @return this */
    public MemoryTensors put(String name, float[] data, long... shape) {
        tensors.put(name, new T(shape.clone(), data.clone()));
        return this;
    }

    private T get(String name) {
        T t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException("memory: expected tensor '" + name + "', found none");
        }
        return t;
    }

    @Override
    public Path path() {
        return Path.of("memory");
    }

    @Override
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public long[] shape(String name) {
        return get(name).shape.clone();
    }

    @Override
    public SafeTensors.DType dtype(String name) {
        get(name);
        return SafeTensors.DType.F32;
    }

    @Override
    public ByteBuffer float32Bytes(String name) {
        float[] v = get(name).data;
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b;
    }

    @Override
    public void readFloat32(String name, Float32Sink sink) throws IOException {
        sink.accept(float32Bytes(name));
    }

    @Override
    public void close() {
        // nothing held
    }
}
