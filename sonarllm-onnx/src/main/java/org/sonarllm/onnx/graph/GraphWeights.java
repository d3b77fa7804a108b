package org.sonarllm.onnx.graph;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.sonarllm.ModelFormatException;
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.onnx.weights.TensorSource;

/**
 * Where a graph's weights live, by tensor key (the Hugging Face / SONAR-LLM names of the checkpoint,
 * linear weights {@code [out, in]} as stored). Three ways, the same graph otherwise:
 *
 * <ul>
 *   <li>{@link #external}: ONNX external data pointing into a safetensors file next to the graph (its
 *       data section is plain little-endian float32). Several graphs share one weights file and nothing
 *       is copied: bundle format 2 for every ONNX Runtime graph.
 *   <li>{@link #inputs}: each weight becomes a graph input named by its key, with its full static
 *       shape; the program running the graph feeds or binds them (the training decoder graph, which ND4J
 *       imports and whose placeholders are then set from the safetensors file).
 *   <li>{@link #inline}: the bytes are copied into the graph (tests, weights transformed in memory).
 * </ul>
 *
 * Each key is added to a graph once, however often it is used. Not thread-safe (like the builder).
 *
 * <pre>{@code
 * try (SafeTensors w = SafeTensors.open(bundle.resolve("decoder.safetensors"))) {
 *     SonarDecoderGraph.buildIncremental(dims, true, GraphWeights.external(w)).write(bundle.resolve("decoder.onnx"));
 * }
 * }</pre>
 */
public final class GraphWeights {
    private enum Mode { INLINE, EXTERNAL, INPUT }

    private final TensorSource source;
    private final Mode mode;
    private final String location;

    private GraphWeights(TensorSource source, Mode mode, String location) {
        this.source = source;
        this.mode = mode;
        this.location = location;
    }

    /**
     * @param file a float32 safetensors file; the graph must be written into the same folder
     * @return weights referenced as external data of that file
     */
    public static GraphWeights external(SafeTensors file) {
        return new GraphWeights(file, Mode.EXTERNAL, file.path().getFileName().toString());
    }

    /** @param source the weights (names and shapes; the values are never read) @return weights as graph inputs */
    public static GraphWeights inputs(TensorSource source) {
        return new GraphWeights(source, Mode.INPUT, null);
    }

    /** @param source the weights @return weights copied into the graph */
    public static GraphWeights inline(TensorSource source) {
        return new GraphWeights(source, Mode.INLINE, null);
    }

    /** @param key a tensor key @return whether these weights hold it */
    public boolean contains(String key) {
        return source.contains(key);
    }

    /** @return the source of the weights */
    public TensorSource source() {
        return source;
    }

    /**
     * Adds a weight to a graph (once) and names the value that holds it.
     *
     * @param g the graph @param key the tensor key @param shape its expected shape
     * @return the value name (the key itself)
     * @throws ModelFormatException if the tensor is missing or of another shape or, for external data, not float32
     */
    String tensor(OnnxGraphBuilder g, String key, long... shape) {
        source.requireShape(key, shape);
        if (g.defines(key)) {
            return key;
        }
        switch (mode) {
            case EXTERNAL -> {
                SafeTensors st = (SafeTensors) source;
                if (st.dtype(key) != SafeTensors.DType.F32) {
                    throw new ModelFormatException(st.path() + ": tensor '" + key + "': expected F32 for external data,"
                            + " found " + st.dtype(key));
                }
                return g.externalInitializer(key, ElemType.FLOAT, shape, location, st.fileOffset(key));
            }
            case INPUT -> {
                Dim[] dims = Arrays.stream(shape).mapToObj(Dim::of).toArray(Dim[]::new);
                return g.input(key, ElemType.FLOAT, dims);
            }
            default -> {
                ByteBuffer b = source.float32Bytes(key);
                return g.rawInitializer(key, ElemType.FLOAT, b, shape);
            }
        }
    }
}
