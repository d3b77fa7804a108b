package org.sonarllm.onnx.weights;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
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
import org.sonarllm.bundle.BundleWriter;

/**
 * The one writer of {@code .safetensors} files in the SDK (bundle weights, checkpoint exports, random test and
 * benchmark checkpoints; F32, F16 for half-precision bundles, U8 for quantized weights): sorted names,
 * {@code __metadata__ {"format": "pt"}}, header padded with spaces so that the data starts at a multiple of
 * {@value #DATA_ALIGNMENT} bytes, little-endian data. {@link #write} writes a temporary file beside the target, syncs it and renames it
 * over the target, so a kill never leaves a half-written file. Tensors are given lazily: as arrays
 * ({@link #add(String, long[], Supplier)}), or streamed piece by piece from a {@link TensorSource}
 * ({@link #copy}) or any {@link Producer}, so memory stays at one piece whatever the model's size. A full
 * disk fails with {@code "<file>: no space left on device"}. Not thread-safe.
 *
 * <pre>{@code
 * SafeTensorsWriter w = new SafeTensorsWriter();
 * w.add("layer.weight", new float[] {1, 2, 3, 4}, 2, 2);
 * w.copy("embed_tokens.weight", checkpoint, "model.encoder.embed_tokens.weight");   // streamed
 * w.write(Path.of("model.safetensors"));
 * }</pre>
 */
public final class SafeTensorsWriter {
    /** The data section starts at a multiple of this many bytes (the header is padded with spaces). */
    public static final int DATA_ALIGNMENT = 64;

    /** Produces a tensor's row-major values as little-endian float32 pieces. */
    @FunctionalInterface
    public interface Producer {
        /**
         * @param sink receives the pieces in order; exactly numel * 4 bytes in all
         * @throws IOException if the sink throws
         */
        void writeTo(TensorSource.Float32Sink sink) throws IOException;
    }

    /** Reports how much tensor data {@link #write} has written. */
    @FunctionalInterface
    public interface Progress {
        /**
         * @param tensor the tensor being written
         * @param done data bytes written so far
         * @param total data bytes in all
         */
        void update(String tensor, long done, long total);
    }

    private record T(long[] shape, long numel, Producer data, SafeTensors.DType dtype) {
        long byteLength() {
            return numel * dtype.bytes();
        }
    }

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
        return add(name, shape, () -> data);
    }

    /**
     * Adds a tensor whose values are produced only when {@link #write} reaches it.
     *
     * @param name tensor name @param shape dims @param data supplies the row-major values
     * @return this
     */
    public SafeTensorsWriter add(String name, long[] shape, Supplier<float[]> data) {
        long n = numel(name, shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException(name + ": expected at most " + (Integer.MAX_VALUE - 8) + " values, found " + n);
        }
        return add(name, shape, sink -> {
            float[] v = data.get();
            if (v.length != n) {
                throw new InvalidInputException(name + ": expected " + n + " values, found " + v.length);
            }
            ByteBuffer chunk = ByteBuffer.allocate(Math.min(TensorSource.CHUNK_BYTES, Math.max(4, v.length * 4)))
                    .order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < v.length; ) {
                int k = Math.min(v.length - i, chunk.capacity() / 4);
                chunk.clear();
                chunk.asFloatBuffer().put(v, i, k);
                chunk.limit(k * 4);
                sink.accept(chunk);
                i += k;
            }
        });
    }

    /**
     * Adds a tensor streamed by a producer when {@link #write} reaches it.
     *
     * @param name tensor name @param shape dims @param data produces exactly numel float32 values
     * @return this
     */
    public SafeTensorsWriter add(String name, long[] shape, Producer data) {
        tensors.put(name, new T(shape.clone(), numel(name, shape), data, SafeTensors.DType.F32));
        return this;
    }

    /**
     * Adds a U8 tensor (quantized weight codes, zero points) produced when {@link #write} reaches it.
     *
     * @param name tensor name @param shape dims @param data supplies exactly numel bytes
     * @return this
     */
    public SafeTensorsWriter addBytes(String name, long[] shape, Supplier<byte[]> data) {
        long n = numel(name, shape);
        tensors.put(name, new T(shape.clone(), n, sink -> {
            byte[] v = data.get();
            if (v.length != n) {
                throw new InvalidInputException(name + ": expected " + n + " bytes, found " + v.length);
            }
            for (int i = 0; i < v.length; i += TensorSource.CHUNK_BYTES) {
                sink.accept(ByteBuffer.wrap(v, i, Math.min(TensorSource.CHUNK_BYTES, v.length - i)));
            }
        }, SafeTensors.DType.U8));
        return this;
    }

    /**
     * Adds a tensor of a source, streamed from it when {@link #write} reaches it (F16/BF16 widened).
     *
     * @param name the name in the file written
     * @param source the source, open until {@link #write} returns
     * @param sourceName its name there
     * @return this
     */
    public SafeTensorsWriter copy(String name, TensorSource source, String sourceName) {
        return add(name, source.shape(sourceName), sink -> source.readFloat32(sourceName, sink));
    }

    /**
     * As {@link #copy}, stored as IEEE half precision (F16, rounded to nearest, ties to even): half the bytes,
     * about three significant decimal digits.
     *
     * @param name the name in the file written
     * @param source the source, open until {@link #write} returns
     * @param sourceName its name there
     * @return this
     * @throws InvalidInputException from {@link #write} if a finite value is beyond float16's range (+-65504):
     *     {@code "<name>: expected values within float16's range (+-65504), found 70000.0 at element 3; keep
     *     this tensor float32"}
     */
    public SafeTensorsWriter copyAsHalf(String name, TensorSource source, String sourceName) {
        long[] shape = source.shape(sourceName);
        tensors.put(name, new T(shape.clone(), numel(name, shape), sink -> {
            long[] at = {0};
            source.readFloat32(sourceName, piece -> sink.accept(narrow(name, piece, at)));
        }, SafeTensors.DType.F16));
        return this;
    }

    private static ByteBuffer narrow(String name, ByteBuffer float32, long[] at) {
        FloatBuffer in = float32.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        ByteBuffer out = ByteBuffer.allocate(in.remaining() * 2).order(ByteOrder.LITTLE_ENDIAN);
        while (in.hasRemaining()) {
            float v = in.get();
            short h = SafeTensors.floatToHalf(v);
            if ((h & 0x7fff) == 0x7c00 && Float.isFinite(v)) {
                throw new InvalidInputException(name + ": expected values within float16's range (+-65504), found " + v
                        + " at element " + at[0] + "; keep this tensor float32");
            }
            out.putShort(h);
            at[0]++;
        }
        return out.flip();
    }

    private static long numel(String name, long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new InvalidInputException(name + ": expected non-negative dimensions, found " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        Math.multiplyExact(n, 4L); // the byte count must fit a long too
        return n;
    }

    /** @return the size of the file {@link #write} produces */
    public long fileBytes() {
        return 8 + header().length + dataBytes();
    }

    private long dataBytes() {
        long s = 0;
        for (T t : tensors.values()) {
            s += t.byteLength();
        }
        return s;
    }

    private byte[] header() {
        ObjectMapper m = new ObjectMapper();
        ObjectNode h = m.createObjectNode();
        h.putObject("__metadata__").put("format", "pt");
        long off = 0;
        for (Map.Entry<String, T> e : tensors.entrySet()) {
            ObjectNode t = h.putObject(e.getKey());
            t.put("dtype", e.getValue().dtype().name());
            var sh = t.putArray("shape");
            for (long d : e.getValue().shape()) {
                sh.add(d);
            }
            long len = e.getValue().byteLength();
            t.putArray("data_offsets").add(off).add(off + len);
            off += len;
        }
        byte[] json = h.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (int) (((8L + json.length + DATA_ALIGNMENT - 1) / DATA_ALIGNMENT) * DATA_ALIGNMENT - 8);
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /**
     * Writes the file atomically (temporary file, sync, rename).
     *
     * @param file the file to write
     * @throws SonarLlmException if it cannot be written (the message names the file)
     */
    public void write(Path file) {
        write(file, (t, d, n) -> { });
    }

    /**
     * Writes the file atomically (temporary file, sync, rename), reporting progress after every piece.
     *
     * @param file the file to write
     * @param progress receives the bytes of tensor data written
     * @throws SonarLlmException if it cannot be written: {@code "<file>: no space left on device"} when the disk is full
     */
    public void write(Path file, Progress progress) {
        byte[] header = header();
        long total = dataBytes();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer head = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
                head.putLong(header.length).put(header);
                writeFully(ch, head.flip());
                long[] done = {0};
                for (Map.Entry<String, T> e : tensors.entrySet()) {
                    long expect = e.getValue().byteLength();
                    int unit = e.getValue().dtype().bytes();
                    long[] got = {0};
                    e.getValue().data().writeTo(piece -> {
                        got[0] += piece.remaining();
                        if (got[0] > expect) {
                            throw new InvalidInputException(e.getKey() + ": expected " + expect / unit + " values, found more");
                        }
                        done[0] += piece.remaining();
                        writeFully(ch, piece);
                        progress.update(e.getKey(), done[0], total);
                    });
                    if (got[0] != expect) {
                        throw new InvalidInputException(e.getKey() + ": expected " + expect / unit + " values, found "
                                + got[0] / unit);
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
            deleteQuietly(tmp);
            throw BundleWriter.writeFailure(file, e);
        } catch (RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the original error is the one to report
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
