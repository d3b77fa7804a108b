package org.sonarllm.onnx.graph;

import com.google.protobuf.ByteString;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sonarllm.bundle.BundleWriter;
import org.sonarllm.onnx.proto.OnnxProto.GraphProto;
import org.sonarllm.onnx.proto.OnnxProto.ModelProto;
import org.sonarllm.onnx.proto.OnnxProto.NodeProto;
import org.sonarllm.onnx.proto.OnnxProto.OperatorSetIdProto;
import org.sonarllm.onnx.proto.OnnxProto.StringStringEntryProto;
import org.sonarllm.onnx.proto.OnnxProto.TensorProto;
import org.sonarllm.onnx.proto.OnnxProto.TensorShapeProto;
import org.sonarllm.onnx.proto.OnnxProto.TypeProto;
import org.sonarllm.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * Builds an ONNX model in Java: inputs and outputs with dynamic dimensions, float/int64
 * initializers, nodes with attributes, constants, unique names. Writes a single {@code .onnx} file,
 * or, when the weights exceed the external-data threshold (2 GB by default, the protobuf limit), the
 * graph plus one {@code <file>.data} external-data file (offsets aligned to 4096).
 *
 * <p>Every node is named after its first output, and single-output nodes get a fresh output name,
 * which keeps graphs importable by converters that key nodes by output name. The node-level API is
 * package-private: the graph classes of this package ({@link SonarEncoderGraph}, {@link
 * SonarDecoderGraph}, {@link TeacherForcingDecoderGraph}, {@link ConceptLmGraph}) fill a builder,
 * other code names it, documents it and writes it. Not thread-safe: one builder per thread.
 *
 * <pre>{@code
 * OnnxGraphBuilder g = new OnnxGraphBuilder("sonarllm_concept_lm");
 * g.doc("SONAR-LLM concept LM converted from sonar_llm");
 * ConceptLmGraph.build(g, config, weights);
 * List<Path> files = g.write(Path.of("concept-lm.onnx"));
 * }</pre>
 */
public final class OnnxGraphBuilder {
    /** Default opset of the ai.onnx domain. */
    public static final int DEFAULT_OPSET = 17;
    /** Default limit on inline weights before switching to external data: 2 GB minus headroom. */
    public static final long DEFAULT_EXTERNAL_THRESHOLD = (1L << 31) - (64L << 20);
    private static final int ALIGN = 4096;
    private static final int MIN_EXTERNAL_BYTES = 1024;

    private final String graphName;
    private final int opset = DEFAULT_OPSET;
    private final Map<String, Integer> extraOpsets = new LinkedHashMap<>();
    private long externalThreshold = DEFAULT_EXTERNAL_THRESHOLD;
    private final List<ValueInfoProto> inputs = new ArrayList<>();
    private final List<ValueInfoProto> outputs = new ArrayList<>();
    private final List<NodeProto> nodes = new ArrayList<>();
    private final Map<String, Init> initializers = new LinkedHashMap<>();
    private final Map<String, Integer> counters = new HashMap<>();
    private final java.util.Set<String> used = new java.util.HashSet<>();
    private final java.util.Set<String> declared = new java.util.HashSet<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private String docString = "";
    private String autoPrefix = "";

    /** An initializer: inline bytes ({@code data}), or a reference into an external file ({@code location}). */
    private record Init(String name, ElemType type, long[] dims, ByteBuffer data, String location, long offset,
            long length) {
        Init(String name, ElemType type, long[] dims, ByteBuffer data) {
            this(name, type, dims, data, null, 0, 0);
        }
    }

    /** @param graphName the graph's name (also used as the model's domain-less name) */
    public OnnxGraphBuilder(String graphName) {
        this.graphName = graphName;
    }

    /**
     * Declares an extra operator domain (e.g. {@code com.microsoft}).
     *
     * @param domain the domain @param version its version @return this
     */
    OnnxGraphBuilder domain(String domain, int version) {
        extraOpsets.put(domain, version);
        return this;
    }

    /** @param bytes total initializer bytes above which {@link #write} uses external data @return this */
    OnnxGraphBuilder externalDataThreshold(long bytes) {
        this.externalThreshold = bytes;
        return this;
    }

    /** @param key metadata key @param value value @return this */
    OnnxGraphBuilder metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** @param doc the model's doc string @return this */
    public OnnxGraphBuilder doc(String doc) {
        this.docString = doc;
        return this;
    }

    /**
     * @param prefix a readable prefix
     * @return a name not used so far in this graph ({@code prefix}, then {@code prefix_1}, ...)
     */
    String uniqueName(String prefix) {
        String p = prefix.isEmpty() ? "t" : prefix;
        int n = counters.getOrDefault(p, 0);
        String name = n == 0 ? p : p + "_" + n;
        while (used.contains(name)) {
            n++;
            name = p + "_" + n;
        }
        counters.put(p, n + 1);
        used.add(name);
        return name;
    }

    private String claim(String name) {
        if (used.contains(name)) {
            throw new IllegalArgumentException("name already used in graph: " + name);
        }
        return declare(name);
    }

    private String declare(String name) {
        if (!declared.add(name)) {
            throw new IllegalArgumentException("value already defined in graph: " + name);
        }
        used.add(name);
        return name;
    }

    /**
     * Adds a graph input.
     *
     * @param name its name (must be unused) @param type element type @param dims its dimensions
     * @return the name
     */
    String input(String name, ElemType type, Dim... dims) {
        inputs.add(valueInfo(claim(name), type, dims));
        return name;
    }

    /**
     * Declares an existing value as a graph output under the same name.
     *
     * @param name the value's name @param type element type @param dims its dimensions
     */
    void output(String name, ElemType type, Dim... dims) {
        outputs.add(valueInfo(name, type, dims));
    }

    /**
     * Exposes {@code value} as the graph output {@code name} (adds an Identity node if they differ).
     *
     * @param value an existing value @param name the output name @param type element type
     * @param dims its dimensions
     */
    void output(String value, String name, ElemType type, Dim... dims) {
        if (!value.equals(name)) {
            node("Identity", name, List.of(value));
        }
        output(name, type, dims);
    }

    private static ValueInfoProto valueInfo(String name, ElemType type, Dim... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Dim d : dims) {
            TensorShapeProto.Dimension.Builder db = TensorShapeProto.Dimension.newBuilder();
            if (d.fixed()) {
                db.setDimValue(d.value());
            } else {
                db.setDimParam(d.param());
            }
            shape.addDim(db);
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type.code()).setShape(shape))).build();
    }

    /**
     * @param name initializer name (made unique if taken) @param data values, row-major @param shape dims
     * @return the initializer's name
     */
    String initializer(String name, float[] data, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(data.length, 4)).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        return rawInitializer(name, ElemType.FLOAT, b, shape);
    }

    /**
     * @param name initializer name (made unique if taken) @param data values from position to limit
     * @param shape dims @return the initializer's name
     */
    String initializer(String name, FloatBuffer data, long... shape) {
        FloatBuffer src = data.duplicate();
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(src.remaining(), 4)).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(src);
        return rawInitializer(name, ElemType.FLOAT, b, shape);
    }

    /**
     * @param name initializer name (made unique if taken) @param data values @param shape dims
     * @return the initializer's name
     */
    String initializerLong(String name, long[] data, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(data.length, 8)).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(data);
        return rawInitializer(name, ElemType.INT64, b, shape);
    }

    /**
     * Adds an initializer from raw little-endian bytes without copying them (a memory-mapped
     * safetensors slice can be passed straight through).
     *
     * @param name initializer name (made unique if taken) @param type element type
     * @param littleEndianData exactly numel*elementSize bytes from position to limit @param shape dims
     * @return the initializer's name
     */
    String rawInitializer(String name, ElemType type, ByteBuffer littleEndianData, long... shape) {
        long numel = 1;
        for (long d : shape) {
            numel = Math.multiplyExact(numel, d);
        }
        if (littleEndianData.remaining() != numel * type.bytes()) {
            throw new IllegalArgumentException("initializer " + name + ": expected " + numel * type.bytes()
                    + " bytes for shape " + Arrays.toString(shape) + ", found " + littleEndianData.remaining());
        }
        String n = declare(used.contains(name) ? uniqueName(name) : name);
        initializers.put(n, new Init(n, type, shape.clone(), littleEndianData.slice().order(ByteOrder.LITTLE_ENDIAN)));
        return n;
    }

    /**
     * Adds an initializer whose bytes stay in another file (ONNX external data): ONNX Runtime reads
     * {@code length} bytes at {@code offset} of {@code location}, a file name relative to the graph's
     * folder. Nothing is copied into the graph.
     *
     * @param name initializer name (must be unused) @param type element type @param shape dims
     * @param location the file, relative to the graph @param offset byte offset in it
     * @return the initializer's name
     */
    String externalInitializer(String name, ElemType type, long[] shape, String location, long offset) {
        long numel = 1;
        for (long d : shape) {
            numel = Math.multiplyExact(numel, d);
        }
        String n = claim(name);
        initializers.put(n, new Init(n, type, shape.clone(), null, location, offset, Math.multiplyExact(numel, type.bytes())));
        return n;
    }

    /** @param name a value name @return whether the graph defines it (input, initializer or node output) */
    boolean defines(String name) {
        return declared.contains(name);
    }

    /** @param v value @return name of a new float scalar initializer */
    String scalar(float v) {
        return initializer(uniqueName("const_f"), new float[] {v});
    }

    /** @param v value @return name of a new int64 scalar initializer */
    String scalarLong(long v) {
        return initializerLong(uniqueName("const_i"), new long[] {v});
    }

    /** @param v values @return name of a new 1-D float initializer */
    String constFloats(float... v) {
        return initializer(uniqueName("const_f"), v, v.length);
    }

    /** @param v values @return name of a new 1-D int64 initializer (shapes, axes, indices) */
    String constLongs(long... v) {
        return initializerLong(uniqueName("const_i"), v, v.length);
    }

    /**
     * Sets a prefix for the output names {@link #node(String, List, Attr...)} and {@link #nodeMulti}
     * derive from op types (default none). ND4J's ONNX importer loops forever when a node is named
     * like the op SameDiff creates for it ({@code cast}, {@code reshape_1}, ...), so graphs meant for
     * it use a prefix such as {@code "n_"}.
     *
     * @param prefix the prefix @return this builder
     */
    OnnxGraphBuilder autoNamePrefix(String prefix) {
        this.autoPrefix = java.util.Objects.requireNonNull(prefix, "prefix");
        return this;
    }

    /**
     * Adds a single-output node with a fresh output name derived from the op type.
     *
     * @param opType ONNX op type @param inputs input names ("" for an omitted optional input)
     * @param attrs attributes @return the output name
     */
    String node(String opType, List<String> inputs, Attr... attrs) {
        return node(opType, uniqueName(autoPrefix + opType.toLowerCase(java.util.Locale.ROOT)), inputs, attrs);
    }

    /**
     * Adds a single-output node with a chosen output name; the node is named after its output.
     *
     * @param opType ONNX op type @param output output name (must be unused) @param inputs input names
     * @param attrs attributes @return the output name
     */
    String node(String opType, String output, List<String> inputs, Attr... attrs) {
        declare(output);
        nodes.add(nodeProto(opType, "", inputs, List.of(output), attrs));
        return output;
    }

    /**
     * Adds a single-output node of another operator domain (declared with {@link #domain}).
     *
     * @param opType op type @param domain its domain, e.g. {@code com.microsoft} @param inputs input names
     * @param attrs attributes @return the output name
     */
    String nodeIn(String domain, String opType, List<String> inputs, Attr... attrs) {
        if (!extraOpsets.containsKey(domain)) {
            throw new IllegalStateException("domain " + domain + " not declared");
        }
        String out = declare(uniqueName(autoPrefix + opType.toLowerCase(java.util.Locale.ROOT)));
        nodes.add(nodeProto(opType, domain, inputs, List.of(out), attrs));
        return out;
    }

    /**
     * Adds a node with several outputs, each with a fresh name.
     *
     * @param opType op type @param domain operator domain ("" for ai.onnx) @param inputs input names
     * @param nOutputs number of outputs @param attrs attributes @return the output names
     */
    /**
     * Adds a node with several outputs of chosen names (each unused so far).
     *
     * @param domain operator domain ("" for ai.onnx) @param opType op type @param inputs input names
     * @param outputs output names @param attrs attributes @return {@code outputs}
     */
    List<String> nodeNamed(String domain, String opType, List<String> inputs, List<String> outputs, Attr... attrs) {
        if (!domain.isEmpty() && !extraOpsets.containsKey(domain)) {
            throw new IllegalStateException("domain " + domain + " not declared");
        }
        for (String o : outputs) {
            declare(o);
        }
        nodes.add(nodeProto(opType, domain, inputs, outputs, attrs));
        return outputs;
    }

    List<String> nodeMulti(String opType, String domain, List<String> inputs, int nOutputs, Attr... attrs) {
        List<String> outs = new ArrayList<>();
        for (int i = 0; i < nOutputs; i++) {
            outs.add(declare(uniqueName(autoPrefix + opType.toLowerCase(java.util.Locale.ROOT))));
        }
        nodes.add(nodeProto(opType, domain, inputs, outs, attrs));
        return outs;
    }

    private static NodeProto nodeProto(String opType, String domain, List<String> inputs, List<String> outputs,
            Attr... attrs) {
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(opType).setName(outputs.get(0))
                .addAllInput(inputs).addAllOutput(outputs);
        if (!domain.isEmpty()) {
            b.setDomain(domain);
        }
        for (Attr a : attrs) {
            b.addAttribute(a.proto());
        }
        return b.build();
    }

    /** @return total bytes of the inline initializers */
    long initializerBytes() {
        long s = 0;
        for (Init i : initializers.values()) {
            s += i.data == null ? 0 : i.data.remaining();
        }
        return s;
    }

    /** @return the graph's output names in order */
    List<String> outputNames() {
        return outputs.stream().map(ValueInfoProto::getName).toList();
    }

    /**
     * Builds the model with every initializer inline.
     *
     * @return the model
     * @throws IllegalStateException if the weights exceed the protobuf limit (use {@link #write})
     */
    ModelProto build() {
        if (initializerBytes() > DEFAULT_EXTERNAL_THRESHOLD) {
            throw new IllegalStateException("weights of " + initializerBytes()
                    + " bytes exceed the 2 GB protobuf limit; use write(Path) for external data");
        }
        return model(null, null);
    }

    private ModelProto model(String externalName, Map<String, long[]> offsets) {
        GraphProto.Builder g = GraphProto.newBuilder().setName(graphName).addAllInput(inputs).addAllOutput(outputs)
                .addAllNode(nodes);
        for (Init i : initializers.values()) {
            TensorProto.Builder t = TensorProto.newBuilder().setName(i.name).setDataType(i.type.code());
            for (long d : i.dims) {
                t.addDims(d);
            }
            long[] off = offsets == null ? null : offsets.get(i.name);
            if (i.location != null) {
                t.setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(entry("location", i.location))
                        .addExternalData(entry("offset", Long.toString(i.offset)))
                        .addExternalData(entry("length", Long.toString(i.length)));
            } else if (off != null) {
                t.setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(entry("location", externalName))
                        .addExternalData(entry("offset", Long.toString(off[0])))
                        .addExternalData(entry("length", Long.toString(off[1])));
            } else {
                t.setRawData(ByteString.copyFrom(i.data.duplicate()));
            }
            g.addInitializer(t);
        }
        ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(8).setProducerName("sonarllm-java")
                .setProducerVersion("0.1").setGraph(g).setDocString(docString)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset));
        extraOpsets.forEach((d, v) -> m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(d).setVersion(v)));
        metadata.forEach((k, v) -> m.addMetadataProps(entry(k, v)));
        return m.build();
    }

    private static StringStringEntryProto entry(String k, String v) {
        return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    /**
     * Writes the model. Inline if the weights fit under the threshold, otherwise every initializer
     * of at least 1 KiB goes to {@code <file name>.data} next to it.
     *
     * @param file the {@code .onnx} path
     * @return the files written (the model, then the external-data file if any)
     * @throws org.sonarllm.SonarLlmException if a file cannot be written ({@link BundleWriter#writeFailure})
     */
    public List<Path> write(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            if (initializerBytes() <= externalThreshold) {
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
                    model(null, null).writeTo(out);
                }
                return List.of(file);
            }
            String dataName = file.getFileName() + ".data";
            Path dataFile = parent.resolve(dataName);
            Map<String, long[]> offsets = new HashMap<>();
            try (FileChannel ch = FileChannel.open(dataFile, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                long pos = 0;
                for (Init i : initializers.values()) {
                    int len = i.data == null ? 0 : i.data.remaining();
                    if (len < MIN_EXTERNAL_BYTES) {
                        continue;
                    }
                    long aligned = (pos + ALIGN - 1) / ALIGN * ALIGN;
                    ByteBuffer src = i.data.duplicate();
                    long at = aligned;
                    while (src.hasRemaining()) {
                        at += ch.write(src, at);
                    }
                    offsets.put(i.name, new long[] {aligned, len});
                    pos = aligned + len;
                }
            }
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
                model(dataName, offsets).writeTo(out);
            }
            return List.of(file, dataFile);
        } catch (IOException e) {
            throw BundleWriter.writeFailure(file, e);
        }
    }
}
