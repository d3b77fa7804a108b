package org.sonarllm.onnx.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.sonarllm.ModelFormatException;

/**
 * The read API every checkpoint reader of this package shares, so that a converter does not care which
 * format it reads: {@link SafeTensors} (one {@code .safetensors} file), {@link TorchCheckpoint} (a
 * {@code torch.save} zip: {@code .pt}, {@code .bin}) and the sharded folders {@link TensorSources}
 * opens (an index plus shards of either kind). Tensors are F32, F16 or BF16 and are handed out as
 * float32. {@link #readFloat32} streams a tensor in bounded pieces (F16/BF16 widened piece by piece,
 * nothing mapped), which is what conversion uses so that its memory does not grow with the model.
 *
 * <p>Implementations are thread-safe for reading after opening; {@link #close()} is idempotent.
 *
 * <pre>{@code
 * try (TensorSource src = TensorSources.openFolder(Path.of("sonar/encoder"))) {
 *     src.requireShape("layers.0.fc1.weight", 8192, 1024);
 *     src.readFloat32("layers.0.fc1.weight", chunk -> channel.write(chunk));
 * }
 * }</pre>
 */
public interface TensorSource extends AutoCloseable {
    /** Size of the pieces {@link #readFloat32} hands to its sink (in float32 bytes, at most). */
    int CHUNK_BYTES = 4 << 20;

    /** Receives consecutive pieces of a tensor as little-endian float32 bytes (position to limit). */
    @FunctionalInterface
    interface Float32Sink {
        /**
         * @param littleEndianFloat32 the next values; valid only during the call
         * @throws IOException if the sink cannot take them (propagated unchanged)
         */
        void accept(ByteBuffer littleEndianFloat32) throws IOException;
    }

    /** @return the file (or the folder or index file of a sharded checkpoint), for messages */
    Path path();

    /** @return names of the readable tensors, sorted */
    List<String> names();

    /** @param name a tensor name @return whether it is a readable tensor of this source */
    boolean contains(String name);

    /**
     * @param name tensor name
     * @return its shape (a copy)
     * @throws ModelFormatException if there is no such tensor
     */
    long[] shape(String name);

    /**
     * @param name tensor name
     * @return its stored element type
     * @throws ModelFormatException if there is no such tensor
     */
    SafeTensors.DType dtype(String name);

    /** @param name tensor name @return its number of elements */
    default long numel(String name) {
        long n = 1;
        for (long d : shape(name)) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * Checks a tensor's shape.
     *
     * @param name tensor name @param expected the expected shape
     * @throws ModelFormatException "expected [..], found [..]" if it differs or the tensor is missing
     */
    default void requireShape(String name, long... expected) {
        long[] s = shape(name);
        if (!Arrays.equals(s, expected)) {
            throw new ModelFormatException(path() + ": tensor '" + name + "': expected shape "
                    + Arrays.toString(expected) + ", found " + Arrays.toString(s));
        }
    }

    /**
     * @param name tensor name
     * @return the whole tensor as row-major little-endian float32 bytes (a mapping or a heap copy; at
     *     most 2 GiB)
     */
    ByteBuffer float32Bytes(String name);

    /** @param name tensor name @return its values as floats */
    default FloatBuffer floatBuffer(String name) {
        return float32Bytes(name).asFloatBuffer();
    }

    /** @param name tensor name @return its values as a new float array */
    default float[] floats(String name) {
        FloatBuffer fb = floatBuffer(name);
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
    }

    /**
     * Streams a tensor, row-major, as little-endian float32 pieces of at most {@link #CHUNK_BYTES}
     * bytes, read with positional reads (no mapping, no whole-tensor copy for the layouts checkpoints
     * use; a strided torch view or a compressed storage is copied once).
     *
     * @param name tensor name
     * @param sink receives the pieces in order
     * @throws IOException if the sink throws (input read errors are {@link ModelFormatException}s)
     */
    void readFloat32(String name, Float32Sink sink) throws IOException;

    @Override
    void close();
}
