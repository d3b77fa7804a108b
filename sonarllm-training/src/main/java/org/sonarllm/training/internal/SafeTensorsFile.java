package org.sonarllm.training.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.nio.file.Path;
import org.sonarllm.onnx.weights.SafeTensors;

/**
 * Reads a whole safetensors file into float arrays, for the training module's small weight loads. The
 * parsing and validation (F32, F16, BF16; bounds-checked header) are {@link SafeTensors}'s: this is only
 * the eager, array-returning view of it.
 *
 * <pre>{@code
 * Map<String, SafeTensorsFile.Tensor> all = SafeTensorsFile.read(Path.of("model.safetensors"));
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class SafeTensorsFile {
    /**
     * One tensor.
     *
     * @param shape dimensions
     * @param data row-major values
     */
    public record Tensor(long[] shape, float[] data) {}

    private SafeTensorsFile() {}

    /**
     * @param file the .safetensors file
     * @return all tensors by name, in the file's order
     * @throws org.sonarllm.ModelFormatException if the file is missing or malformed
     */
    public static Map<String, Tensor> read(Path file) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(file)) {
            for (String name : st.names()) {
                out.put(name, new Tensor(st.shape(name), st.floats(name)));
            }
        }
        return out;
    }
}
