package org.sonarllm.training.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sonarllm.ModelFormatException;

/**
 * Minimal safetensors reader (F32, F16, BF16 to float) used to load concept-LM weights.
 * Not thread-safe; read once, then use the returned arrays.
 */
public final class SafeTensorsFile {
    /** One tensor: shape and row-major float data. */
    public record Tensor(long[] shape, float[] data) {}

    private SafeTensorsFile() {}

    /**
     * @param file the .safetensors file
     * @return all tensors by name, in file order
     */
    public static Map<String, Tensor> read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new ModelFormatException("expected a safetensors file, found " + size + " bytes in " + file);
            }
            ByteBuffer all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size).order(ByteOrder.LITTLE_ENDIAN);
            long headerLen = all.getLong(0);
            if (headerLen <= 0 || headerLen > size - 8) {
                throw new ModelFormatException("expected a safetensors header length below " + (size - 8)
                        + ", found " + headerLen + " in " + file);
            }
            byte[] hb = new byte[(int) headerLen];
            all.position(8);
            all.get(hb);
            JsonNode header = new ObjectMapper().readTree(hb);
            Map<String, Tensor> out = new LinkedHashMap<>();
            long base = 8 + headerLen;
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                JsonNode t = e.getValue();
                String dtype = t.path("dtype").asText();
                long[] shape = new long[t.path("shape").size()];
                long n = 1;
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = t.get("shape").get(i).asLong();
                    n *= shape[i];
                }
                long begin = base + t.get("data_offsets").get(0).asLong();
                long end = base + t.get("data_offsets").get(1).asLong();
                int width = switch (dtype) {
                    case "F32" -> 4;
                    case "F16", "BF16" -> 2;
                    default -> throw new ModelFormatException("expected F32, F16 or BF16 tensors, found " + dtype
                            + " for " + e.getKey() + " in " + file);
                };
                if (end > size || end - begin != n * width) {
                    throw new ModelFormatException("expected " + n * width + " bytes for " + e.getKey()
                            + ", found offsets " + (begin - base) + ".." + (end - base) + " in " + file);
                }
                float[] data = new float[(int) n];
                for (int i = 0; i < n; i++) {
                    int off = (int) (begin + (long) i * width);
                    data[i] = switch (dtype) {
                        case "F32" -> all.getFloat(off);
                        case "BF16" -> Float.intBitsToFloat((all.getShort(off) & 0xffff) << 16);
                        default -> half(all.getShort(off));
                    };
                }
                out.put(e.getKey(), new Tensor(shape, data));
            }
            return out;
        } catch (IOException e) {
            throw new ModelFormatException("cannot read safetensors " + file + ": " + e.getMessage(), e);
        }
    }

    private static float half(short h) {
        int bits = h & 0xffff;
        int sign = (bits >>> 15) << 31;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }
}
