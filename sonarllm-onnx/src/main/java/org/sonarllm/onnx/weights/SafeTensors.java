package org.sonarllm.onnx.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.sonarllm.ModelFormatException;

/**
 * Bounds-checked, memory-mapped reader of a {@code .safetensors} file (F32, F16, BF16). The header
 * length, every tensor's dtype, shape and byte range are validated against the file size when the
 * file is opened; tensor data is mapped on demand, never copied as a whole file.
 *
 * <p>Thread-safe for reading after {@link #open}; {@link #close()} is idempotent.
 *
 * <pre>{@code
 * try (SafeTensors st = SafeTensors.open(Path.of("model.safetensors"))) {
 *     long[] shape = st.shape("layers.0.fc1.weight");
 *     float[] w = st.floats("layers.0.fc1.weight");   // F16/BF16 converted to float
 * }
 * }</pre>
 */
public final class SafeTensors implements TensorSource {
    /** Largest JSON header accepted (the format's own limit is 100 MB). */
    static final long MAX_HEADER_BYTES = 100L << 20;

    /** Element types: the float ones the readers of this package convert to float, and bytes (quantized weights). */
    public enum DType {
        /** IEEE float32. */
        F32(4),
        /** IEEE float16. */
        F16(2),
        /** bfloat16. */
        BF16(2),
        /** unsigned bytes (quantized weight codes and zero points; never read as float). */
        U8(1);

        private final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }

        /** @return bytes per element */
        public int bytes() {
            return bytes;
        }
    }

    private record Entry(DType dtype, long[] shape, long begin, long end) {}

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;
    private volatile boolean closed;

    private SafeTensors(Path path, FileChannel channel, long dataStart, Map<String, Entry> entries,
            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /**
     * Opens and validates a file.
     *
     * @param file the {@code .safetensors} file
     * @return the reader
     * @throws ModelFormatException if the file is missing, truncated or its header is invalid
     */
    public static SafeTensors open(Path file) {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file + ": file not found");
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot open: " + e.getMessage(), e);
        }
        try {
            long size = ch.size();
            if (size < 8) {
                throw new ModelFormatException(file + ": expected at least 8 bytes (header length), found " + size);
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 1 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
                throw new ModelFormatException(file + ": expected a header length in [2, "
                        + Math.min(MAX_HEADER_BYTES, size - 8) + "] bytes, found " + Long.toUnsignedString(headerLen));
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            JsonNode root;
            try {
                ObjectMapper om = new ObjectMapper();
                om.getFactory().enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
                root = om.readTree(hb.array());
            } catch (IOException e) {
                throw new ModelFormatException(file + ": header is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
            }
            if (root == null || !root.isObject()) {
                throw new ModelFormatException(file + ": expected a JSON object header, found "
                        + (root == null ? "nothing" : root.getNodeType()));
            }
            long dataLen = size - 8 - headerLen;
            Map<String, Entry> entries = new TreeMap<>();
            Map<String, String> meta = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> f = it.next();
                if (f.getKey().equals("__metadata__")) {
                    f.getValue().fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                entries.put(f.getKey(), parseEntry(file, f.getKey(), f.getValue(), dataLen));
            }
            checkOverlaps(file, entries);
            return new SafeTensors(file, ch, 8 + headerLen, Collections.unmodifiableMap(entries),
                    Collections.unmodifiableMap(meta));
        } catch (IOException e) {
            closeQuietly(ch);
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static Entry parseEntry(Path file, String name, JsonNode n, long dataLen) {
        String where = file + ": tensor '" + name + "'";
        if (!n.isObject()) {
            throw new ModelFormatException(where + ": expected an object, found " + n.getNodeType());
        }
        JsonNode dt = n.get("dtype");
        JsonNode sh = n.get("shape");
        JsonNode off = n.get("data_offsets");
        if (dt == null || !dt.isTextual()) {
            throw new ModelFormatException(where + ": expected a string dtype, found " + dt);
        }
        DType dtype;
        try {
            dtype = DType.valueOf(dt.asText());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(where + ": expected dtype F32, F16, BF16 or U8, found " + dt.asText());
        }
        if (sh == null || !sh.isArray()) {
            throw new ModelFormatException(where + ": expected a shape array, found " + sh);
        }
        long[] shape = new long[sh.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw new ModelFormatException(where + ": expected non-negative integer dimensions, found " + sh);
            }
            shape[i] = d.asLong();
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException e) {
                throw new ModelFormatException(where + ": shape " + sh + " overflows");
            }
        }
        if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber()
                || !off.get(1).isIntegralNumber()) {
            throw new ModelFormatException(where + ": expected data_offsets [begin, end], found " + off);
        }
        long begin = off.get(0).asLong();
        long end = off.get(1).asLong();
        if (begin < 0 || end < begin || end > dataLen) {
            throw new ModelFormatException(where + ": expected data_offsets within [0, " + dataLen + "], found ["
                    + begin + ", " + end + "] (file truncated or header corrupt)");
        }
        long expect;
        try {
            expect = Math.multiplyExact(numel, dtype.bytes());
        } catch (ArithmeticException e) {
            throw new ModelFormatException(where + ": shape " + sh + " overflows");
        }
        if (end - begin != expect) {
            throw new ModelFormatException(where + ": expected " + expect + " bytes for " + dtype + " "
                    + Arrays.toString(shape) + ", found " + (end - begin));
        }
        return new Entry(dtype, shape, begin, end);
    }

    private static void checkOverlaps(Path file, Map<String, Entry> entries) {
        List<Map.Entry<String, Entry>> list = new ArrayList<>(entries.entrySet());
        list.sort((a, b) -> Long.compare(a.getValue().begin, b.getValue().begin));
        for (int i = 1; i < list.size(); i++) {
            Entry prev = list.get(i - 1).getValue();
            Entry cur = list.get(i).getValue();
            if (cur.begin < prev.end) {
                throw new ModelFormatException(file + ": tensors '" + list.get(i - 1).getKey() + "' and '"
                        + list.get(i).getKey() + "' overlap: expected disjoint data_offsets, found ["
                        + prev.begin + ", " + prev.end + ") and [" + cur.begin + ", " + cur.end + ")");
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += n;
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    /** @return the file */
    @Override
    public Path path() {
        return path;
    }

    /** @return tensor names, sorted */
    @Override
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    /** @param name a tensor name @return whether the file holds it */
    @Override
    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** @return the {@code __metadata__} map (may be empty) */
    Map<String, String> metadata() {
        return metadata;
    }

    private Entry entry(String name) {
        if (closed) {
            throw new IllegalStateException(path + " is closed");
        }
        Entry e = entries.get(name);
        if (e == null) {
            throw new ModelFormatException(path + ": expected tensor '" + name + "', found no such tensor");
        }
        return e;
    }

    /** @param name tensor name @return its shape (a copy) */
    @Override
    public long[] shape(String name) {
        return entry(name).shape.clone();
    }

    /** @param name tensor name @return its stored element type */
    @Override
    public DType dtype(String name) {
        return entry(name).dtype;
    }

    /**
     * Where a tensor's bytes lie in the file, for ONNX external-data references into it.
     *
     * @param name tensor name
     * @return the absolute byte offset of its first element (its length is {@code numel * dtype bytes})
     */
    public long fileOffset(String name) {
        return dataStart + entry(name).begin;
    }

    /**
     * @param name tensor name
     * @return its raw stored bytes, memory-mapped and little-endian (read-only)
     */
    private ByteBuffer raw(String name) {
        Entry e = entry(name);
        long len = e.end - e.begin;
        if (len > Integer.MAX_VALUE) {
            throw new ModelFormatException(path + ": tensor '" + name + "': expected at most 2 GiB per tensor, found "
                    + len + " bytes");
        }
        try {
            if (len == 0) {
                return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
            }
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin, len).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException ex) {
            throw new ModelFormatException(path + ": cannot map tensor '" + name + "': " + ex.getMessage(), ex);
        }
    }

    /**
     * @param name tensor name
     * @return the tensor as little-endian float32 bytes: the mapping itself for F32, a converted heap
     *     copy for F16/BF16
     */
    @Override
    public ByteBuffer float32Bytes(String name) {
        Entry e = entry(name);
        requireFloat(name, e);
        ByteBuffer raw = raw(name);
        if (e.dtype == DType.F32) {
            return raw;
        }
        int n = raw.remaining() / 2;
        ByteBuffer out = ByteBuffer.allocate(Math.multiplyExact(n, 4)).order(ByteOrder.LITTLE_ENDIAN);
        Float32Stream.widen(raw, e.dtype, out, n);
        return out;
    }

    @Override
    public void readFloat32(String name, Float32Sink sink) throws IOException {
        Entry e = entry(name);
        requireFloat(name, e);
        Float32Stream.stream(channel, dataStart + e.begin, (e.end - e.begin) / e.dtype.bytes(), e.dtype, sink,
                path + ": tensor '" + name + "'");
    }

    private void requireFloat(String name, Entry e) {
        if (e.dtype == DType.U8) {
            throw new ModelFormatException(path + ": tensor '" + name + "': expected a float tensor, found U8");
        }
    }

    /**
     * @param name a U8 tensor
     * @return its bytes (a read-only mapping)
     * @throws ModelFormatException if the tensor is missing or not U8
     */
    public ByteBuffer bytes(String name) {
        Entry e = entry(name);
        if (e.dtype != DType.U8) {
            throw new ModelFormatException(path + ": tensor '" + name + "': expected U8, found " + e.dtype);
        }
        return raw(name);
    }

    /**
     * Converts an IEEE 754 half-precision value (binary16) to float, subnormals, infinities and NaN included.
     *
     * @param h the 16 bits
     * @return the float value
     */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /**
     * Rounds a float to the nearest IEEE 754 half-precision value (binary16), ties to even: the inverse of
     * {@link #halfToFloat} on every value a half holds. Finite values of magnitude 65520 and above round to
     * infinity (callers that must not overflow check for it); below 2^-25 to zero.
     *
     * @param f the value
     * @return the 16 bits
     */
    static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) { // infinity, or NaN (kept quiet, its top payload bits kept)
            return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 | ((abs >>> 13) & 0x3ff) : 0));
        }
        if (abs >= 0x477ff000) { // 65520 and above: past the largest half, 65504, by half a step or more
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x38800000) { // below 2^-14, the smallest normal half: a multiple of 2^-24 (exact scaling)
            return (short) (sign | (int) Math.rint(Float.intBitsToFloat(abs) * 0x1p24f));
        }
        int h = (((abs >>> 23) - 112) << 10) | ((abs >>> 13) & 0x3ff); // exponent rebiased 127 -> 15
        int rest = abs & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (h & 1) != 0)) {
            h++; // a carry out of the mantissa raises the exponent, as rounding should
        }
        return (short) (sign | h);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            closeQuietly(channel);
        }
    }
}
