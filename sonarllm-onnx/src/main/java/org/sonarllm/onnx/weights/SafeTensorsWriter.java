package org.sonarllm.onnx.weights;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.sonarllm.InvalidInputException;
import org.sonarllm.SonarLlmException;

/**
 * The one writer of F32 {@code .safetensors} files in the SDK (checkpoint exports, random test and
 * benchmark checkpoints): sorted names, {@code __metadata__ {"format": "pt"}}, header padded with
 * spaces to a multiple of 8, little-endian data. {@link #write} writes a temporary file beside the
 * target, syncs it and renames it over the target, so a kill never leaves a half-written file. Tensors
 * can be given lazily ({@link #add(String, long[], Supplier)}), so only one is in memory at a time while
 * writing. Not thread-safe.
 *
 * <pre>{@code
 * SafeTensorsWriter w = new SafeTensorsWriter();
 * w.add("layer.weight", new float[] {1, 2, 3, 4}, 2, 2);
 * w.write(Path.of("model.safetensors"));
 * }</pre>
 */
public final class SafeTensorsWriter {
    private record T(long[] shape, long numel, Supplier<float[]> data) {}

    private final Map<String, T> tensors = new TreeMap<>();

    /**
     * @param name tensor name @param data row-major values @param shape dims (product = data.length)
     * @return this
     * @throws InvalidInputException if the shape does not hold {@code data.length} values
     */
    public SafeTensorsWriter add(String name, float[] data, long... shape) {
        long n = numel(name, shape);
        if (n != data.length) {
            throw new InvalidInputException(name + ": expected " + n + " values for shape " + Arrays.toString(shape)
                    + ", found " + data.length);
        }
        tensors.put(name, new T(shape.clone(), n, () -> data));
        return this;
    }

    /**
     * Adds a tensor whose values are produced only when {@link #write} reaches it.
     *
     * @param name tensor name @param shape dims @param data supplies the row-major values
     * @return this
     */
    public SafeTensorsWriter add(String name, long[] shape, Supplier<float[]> data) {
        tensors.put(name, new T(shape.clone(), numel(name, shape), data));
        return this;
    }

    private static long numel(String name, long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new InvalidInputException(name + ": expected non-negative dimensions, found " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException(name + ": expected at most " + (Integer.MAX_VALUE - 8) + " values, found " + n);
        }
        return n;
    }

    /**
     * Writes the file atomically (temporary file, sync, rename).
     *
     * @param file the file to write
     * @throws SonarLlmException if it cannot be written (the message names the file)
     */
    public void write(Path file) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode h = m.createObjectNode();
        h.putObject("__metadata__").put("format", "pt");
        long off = 0;
        for (Map.Entry<String, T> e : tensors.entrySet()) {
            ObjectNode t = h.putObject(e.getKey());
            t.put("dtype", "F32");
            var sh = t.putArray("shape");
            for (long d : e.getValue().shape()) {
                sh.add(d);
            }
            long len = e.getValue().numel() * 4L;
            t.putArray("data_offsets").add(off).add(off + len);
            off += len;
        }
        byte[] json = h.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
                head.putLong(padded).put(json);
                while (head.hasRemaining()) {
                    head.put((byte) ' ');
                }
                writeFully(ch, head.flip());
                ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
                for (Map.Entry<String, T> e : tensors.entrySet()) {
                    float[] v = e.getValue().data().get();
                    if (v.length != e.getValue().numel()) {
                        throw new InvalidInputException(e.getKey() + ": expected " + e.getValue().numel()
                                + " values, found " + v.length);
                    }
                    for (int i = 0; i < v.length; ) {
                        int n = Math.min(v.length - i, chunk.capacity() / 4);
                        chunk.clear();
                        chunk.asFloatBuffer().put(v, i, n);
                        chunk.limit(n * 4);
                        writeFully(ch, chunk);
                        i += n;
                    }
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original error is the one to report
            }
            throw new SonarLlmException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
