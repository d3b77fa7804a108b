package org.sonarllm.onnx.graph;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.sonarllm.ModelFormatException;
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.onnx.weights.TensorSource;

/**
 * Where a graph's weights live, by tensor key (the Hugging Face / SONAR-LLM names of the checkpoint,
 * linear weights {@code [out, in]} as stored). Three ways, the same graph otherwise:
 *
 * <ul>
 *   <li>{@link #external}: ONNX external data pointing into a safetensors file next to the graph (its
 *       data section is plain little-endian float32, or float16: then the graph casts each weight to float,
 *       a node ONNX Runtime folds into a float32 initializer when it creates the session). Several graphs
 *       share one weights file and nothing is copied: bundle format 2 for every ONNX Runtime graph.
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
     * @param file a safetensors file of F32 or F16 weights (and U8 / F32 quantized parts); the graph must be
     *     written into the same folder
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

    /** Suffix of the graph value holding a float16 weight before its cast to float (named by its key). */
    static final String HALF = ".f16";
    /** Suffix of an 8-bit quantized weight's codes ({@code [out, blocks, block]} U8). */
    public static final String CODES8 = ".q8";
    /** Suffix of a 4-bit quantized weight's codes ({@code [out, blocks, block / 2]} U8, two per byte). */
    public static final String CODES4 = ".q4";
    /** Suffix of a quantized weight's scales ({@code [out, blocks]} F32). */
    public static final String SCALES = ".scales";
    /** Suffix of a quantized weight's zero points ({@code [out, blocks]} U8, or two per byte for 4 bits). */
    public static final String ZERO_POINTS = ".zero_points";

    /**
     * @param key a weight key
     * @return 8 or 4 when the weights hold it block-quantized ({@code key + CODES8} or {@code CODES4}, {@code
     *     SCALES}, {@code ZERO_POINTS}; see {@code BlockQuantizer}) instead of as float32, else 0
     */
    public int quantizedBits(String key) {
        return source.contains(key + CODES8) ? 8 : source.contains(key + CODES4) ? 4 : 0;
    }

    /**
     * Adds the bytes of a quantized part to a graph under a name, declared with the given shape (the same
     * bytes may be declared twice with two shapes: the kernels that read them want different ones).
     *
     * @param g the graph @param key the part's key in the weights @param name the value name
     * @param type UINT8 or FLOAT @param shape the declared shape (its element count must be the tensor's)
     * @return {@code name}
     */
    String part(OnnxGraphBuilder g, String key, String name, ElemType type, long... shape) {
        if (g.defines(name)) {
            return name;
        }
        long numel = 1;
        for (long d : shape) {
            numel *= d;
        }
        long have = 1;
        for (long d : source.shape(key)) {
            have *= d;
        }
        if (numel != have) {
            throw new ModelFormatException("tensor '" + key + "': expected " + numel + " elements, found " + have);
        }
        switch (mode) {
            case EXTERNAL -> {
                SafeTensors st = (SafeTensors) source;
                SafeTensors.DType want = type == ElemType.UINT8 ? SafeTensors.DType.U8 : SafeTensors.DType.F32;
                if (st.dtype(key) != want) {
                    throw new ModelFormatException(st.path() + ": tensor '" + key + "': expected " + want + ", found "
                            + st.dtype(key));
                }
                return g.externalInitializer(name, type, shape, location, st.fileOffset(key));
            }
            case INLINE -> {
                ByteBuffer b = type == ElemType.UINT8 ? ((SafeTensors) source).bytes(key) : source.float32Bytes(key);
                return g.rawInitializer(name, type, b, shape);
            }
            default -> throw new ModelFormatException("tensor '" + key + "': quantized weights cannot be graph inputs");
        }
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
     * @throws ModelFormatException if the tensor is missing or of another shape or, for external data, neither F32
     *     nor F16
     */
    String tensor(OnnxGraphBuilder g, String key, long... shape) {
        source.requireShape(key, shape);
        if (g.defines(key)) {
            return key;
        }
        switch (mode) {
            case EXTERNAL -> {
                SafeTensors st = (SafeTensors) source;
                if (st.dtype(key) == SafeTensors.DType.F16) {
                    String half = g.externalInitializer(key + HALF, ElemType.FLOAT16, shape, location, st.fileOffset(key));
                    return g.node("Cast", key, List.of(half), Attr.i("to", ElemType.FLOAT.code()));
                }
                if (st.dtype(key) != SafeTensors.DType.F32) {
                    throw new ModelFormatException(st.path() + ": tensor '" + key + "': expected F32 or F16 for external"
                            + " data, found " + st.dtype(key));
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
