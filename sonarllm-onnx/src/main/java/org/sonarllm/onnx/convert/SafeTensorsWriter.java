package org.sonarllm.onnx.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes F32 {@code .safetensors} files (sorted names, header padded with spaces to a multiple of 8,
 * {@code __metadata__ {"format": "pt"}}), e.g. for random test and benchmark checkpoints. Not
 * thread-safe.
 *
 * <pre>{@code
 * SafeTensorsWriter w = new SafeTensorsWriter();
 * w.add("layer.weight", new float[] {1, 2, 3, 4}, 2, 2);
 * w.write(Path.of("model.safetensors"));
 * }</pre>
 */
public final class SafeTensorsWriter {
    private record T(float[] data, long[] shape) {}

    private final Map<String, T> tensors = new TreeMap<>();

    /**
     * @param name tensor name @param data row-major values @param shape dims (product = data.length)
     * @return this
     */
    public SafeTensorsWriter add(String name, float[] data, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException(name + ": shape holds " + n + " values, data has " + data.length);
        }
        tensors.put(name, new T(data, shape.clone()));
        return this;
    }

    /** @param file the file to write */
    public void write(Path file) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode h = m.createObjectNode();
        h.putObject("__metadata__").put("format", "pt");
        long off = 0;
        for (Map.Entry<String, T> e : tensors.entrySet()) {
            ObjectNode t = h.putObject(e.getKey());
            t.put("dtype", "F32");
            var sh = t.putArray("shape");
            for (long d : e.getValue().shape) {
                sh.add(d);
            }
            long len = e.getValue().data.length * 4L;
            t.putArray("data_offsets").add(off).add(off + len);
            off += len;
        }
        byte[] header;
        try {
            header = m.writeValueAsString(h).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int padded = (header.length + 7) / 8 * 8;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(header);
            for (int i = header.length; i < padded; i++) {
                out.write(' ');
            }
            for (T t : tensors.values()) {
                ByteBuffer b = ByteBuffer.allocate(t.data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(t.data);
                out.write(b.array());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
