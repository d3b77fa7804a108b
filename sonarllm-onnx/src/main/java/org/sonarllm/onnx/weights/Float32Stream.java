package org.sonarllm.onnx.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import org.sonarllm.ModelFormatException;

/**
 * Streams a contiguous run of F32, F16 or BF16 elements from a file as float32 pieces: positional
 * reads into one reused direct buffer (F16/BF16 widened into a second one), so memory stays at two
 * pieces whatever the tensor's size and no page of the file stays mapped. Stateless.
 */
final class Float32Stream {
    private Float32Stream() {}

    /**
     * @param ch the file
     * @param pos byte position of the first element
     * @param numel number of elements
     * @param dt their type
     * @param sink receives little-endian float32 pieces of at most {@link TensorSource#CHUNK_BYTES} bytes
     * @param where file and tensor, for messages
     * @throws IOException if the sink throws
     * @throws ModelFormatException if the file cannot be read or ends early
     */
    static void stream(FileChannel ch, long pos, long numel, SafeTensors.DType dt, TensorSource.Float32Sink sink,
            String where) throws IOException {
        int perChunk = TensorSource.CHUNK_BYTES / 4;
        ByteBuffer raw = ByteBuffer.allocateDirect(perChunk * dt.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer wide = dt == SafeTensors.DType.F32 ? raw
                : ByteBuffer.allocateDirect(perChunk * 4).order(ByteOrder.LITTLE_ENDIAN);
        long done = 0;
        while (done < numel) {
            int n = (int) Math.min(perChunk, numel - done);
            raw.clear().limit(n * dt.bytes());
            long at = pos + done * dt.bytes();
            try {
                while (raw.hasRemaining()) {
                    int r = ch.read(raw, at);
                    if (r < 0) {
                        throw new ModelFormatException(where + ": expected " + numel + " elements, found the file ending"
                                + " at byte " + at + " (truncated)");
                    }
                    at += r;
                }
            } catch (IOException e) {
                throw new ModelFormatException(where + ": cannot read: " + e.getMessage(), e);
            }
            raw.flip();
            if (dt != SafeTensors.DType.F32) {
                widen(raw, dt, wide, n);
            }
            sink.accept(wide);
            done += n;
        }
    }

    /** Widens {@code n} F16/BF16 values of {@code raw} into {@code out} (position 0, limit n*4). */
    static void widen(ByteBuffer raw, SafeTensors.DType dt, ByteBuffer out, int n) {
        ShortBuffer src = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        out.clear().limit(n * 4);
        FloatBuffer dst = out.asFloatBuffer();
        if (dt == SafeTensors.DType.F16) {
            for (int i = 0; i < n; i++) {
                dst.put(i, SafeTensors.halfToFloat(src.get(i)));
            }
        } else {
            for (int i = 0; i < n; i++) {
                dst.put(i, Float.intBitsToFloat((src.get(i) & 0xffff) << 16));
            }
        }
    }

    /**
     * Hands a whole float32 buffer to a sink in pieces.
     *
     * @param all little-endian float32 bytes @param sink the sink
     * @throws IOException if the sink throws
     */
    static void chunks(ByteBuffer all, TensorSource.Float32Sink sink) throws IOException {
        ByteBuffer b = all.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int end = b.limit();
        while (b.position() < end) {
            int to = (int) Math.min(end, (long) b.position() + TensorSource.CHUNK_BYTES);
            ByteBuffer piece = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            piece.limit(to);
            sink.accept(piece);
            b.position(to);
        }
    }
}
