package org.sonarllm.training.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.samediff.frameworkimport.onnx.importer.OnnxFrameworkImporter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.ModelFormatException;
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.training.internal.Nd4jOutput;

/**
 * Imports the teacher-forcing decoder graph of a bundle into SameDiff. In bundle format 2 the graph holds
 * no weights: each weight is a graph input named by its key in {@code decoder.safetensors}, with its full
 * static shape (ND4J's importer reads only inline initializers, and a protobuf message cannot hold 4.5 GB).
 * The arrays, streamed from the safetensors file straight into native memory, stay placeholder values fed
 * with every call ({@link Imported#weightFeeds}): SameDiff M2.1 keeps a second native copy of every constant
 * (measured: {@code sd.constant} of a 1 GiB array adds 1 GiB of resident memory), while feeding a
 * placeholder copies nothing. The importer also runs the graph eagerly on dummy inputs to infer shapes and
 * keeps every result (full-size dummy weights included: 7.4 GB resident after importing SONAR's 140 KB
 * graph); those arrays are freed right after the import. The arrays of one file are loaded once and shared
 * by every import that passes the same {@link Weights} (the graph copies of data-parallel replicas read them,
 * never write). Format-1 graphs (weights inline, as constants) import unchanged. Stateless.
 *
 * <pre>{@code
 * DecoderGraphs.Weights w = DecoderGraphs.Weights.of(bundle.resolve("decoder.safetensors"));
 * DecoderGraphs.Imported g = DecoderGraphs.importGraph(bundle.resolve("decoder_training.onnx"), w, dataInputs);
 * Map<String, INDArray> feeds = new HashMap<>(g.weightFeeds());   // plus ids, positions and embedding
 * feeds.putAll(dataFeeds);
 * INDArray logits = g.sd().output(feeds, "logits").get("logits");
 * }</pre>
 */
final class DecoderGraphs {
    private static final Logger LOG = LoggerFactory.getLogger(DecoderGraphs.class);

    private DecoderGraphs() {}

    /** The arrays of a weights file, loaded on first use and shared. Thread-safe. */
    static final class Weights {
        private final Path file;
        private final Map<String, INDArray> arrays = new HashMap<>();

        private Weights(Path file) {
            this.file = file;
        }

        /** @param file a float32 safetensors file @return its arrays, loaded when first asked for */
        static Weights of(Path file) {
            return new Weights(file);
        }

        /** @return the file */
        Path file() {
            return file;
        }

        /**
         * @param names tensor names
         * @param shapes their expected shapes (the graph's placeholder shapes)
         * @return the arrays by name
         * @throws ModelFormatException if the file lacks a tensor or holds another shape
         */
        synchronized Map<String, INDArray> get(List<String> names, Map<String, long[]> shapes) {
            List<String> missing = names.stream().filter(n -> !arrays.containsKey(n)).toList();
            if (!missing.isEmpty()) {
                try (SafeTensors st = SafeTensors.open(file)) {
                    for (String n : missing) {
                        if (!st.contains(n)) {
                            throw new ModelFormatException(file + ": expected tensor '" + n + "' for the decoder graph's"
                                    + " input of that name, found none");
                        }
                        st.requireShape(n, shapes.get(n));
                        arrays.put(n, load(st, n));
                    }
                }
            }
            Map<String, INDArray> out = new HashMap<>();
            names.forEach(n -> out.put(n, arrays.get(n)));
            return out;
        }

        private static INDArray load(SafeTensors st, String name) {
            INDArray a = Nd4j.createUninitialized(DataType.FLOAT, st.shape(name));
            ByteBuffer dst = a.data().asNio().order(ByteOrder.LITTLE_ENDIAN);
            dst.clear();
            try {
                st.readFloat32(name, dst::put);
            } catch (IOException e) {
                throw new ModelFormatException(st.path() + ": cannot read tensor '" + name + "': " + e.getMessage(), e);
            }
            if (dst.position() != a.length() * 4) {
                throw new ModelFormatException(st.path() + ": tensor '" + name + "': expected " + a.length() * 4
                        + " bytes, found " + dst.position());
            }
            return a;
        }
    }

    /**
     * Imports a teacher-forcing graph. Placeholders other than {@code dataInputs} are weights: with
     * {@code weights} given their arrays are read from it (once per file) and returned as feeds; without, there
     * must be none.
     *
     * @param onnx the graph file
     * @param weights the weights of a format-2 bundle, or null for a graph with inline weights
     * @param dataInputs the graph's data inputs (ids, positions, embedding), left as placeholders
     * @return the imported graph and the arrays its weight placeholders take on every call
     * @throws ModelFormatException if the graph cannot be imported or a weight is missing
     */
    static Imported importGraph(Path onnx, Weights weights, List<String> dataInputs) {
        SameDiff sd;
        try {
            sd = Nd4jOutput.quietly(() -> new OnnxFrameworkImporter().runImport(onnx.toString(), Map.of(), false));
        } catch (RuntimeException e) {
            throw new ModelFormatException("cannot import the decoder graph " + onnx + ": " + e, e);
        }
        dropEagerArrays(sd);
        List<String> names = new ArrayList<>();
        Map<String, long[]> shapes = new HashMap<>();
        for (SDVariable v : sd.variables()) {
            if (v.getVariableType() == VariableType.PLACEHOLDER && !dataInputs.contains(v.name())) {
                long[] shape = v.getShape();
                if (shape == null || Arrays.stream(shape).anyMatch(d -> d < 0)) {
                    throw new ModelFormatException(onnx + ": expected weight input '" + v.name() + "' with a static shape,"
                            + " found " + Arrays.toString(shape));
                }
                names.add(v.name());
                shapes.put(v.name(), shape);
            }
        }
        if (names.isEmpty()) {
            return new Imported(sd, Map.of());
        }
        if (weights == null) {
            throw new ModelFormatException(onnx + ": expected the decoder's weights inside the graph (bundle format 1),"
                    + " found " + names.size() + " weight inputs such as '" + names.get(0) + "' and no weights file");
        }
        Map<String, INDArray> feeds = Map.copyOf(weights.get(names, shapes)); // exactly the weight placeholders
        LOG.debug("decoder graph {}: {} weights fed from {}", onnx.getFileName(), names.size(), weights.file().getFileName());
        return new Imported(sd, feeds);
    }

    /**
     * An imported graph.
     *
     * @param sd the graph
     * @param weightFeeds the weight placeholders' arrays (shared, read-only), to add to every call's feeds;
     *     empty for a graph with inline weights
     */
    record Imported(SameDiff sd, Map<String, INDArray> weightFeeds) {}

    /**
     * Forgets what the importer's eager shape inference computed and kept (and the inputs ops kept from it),
     * so that those arrays are freed with their Java wrappers, and turns eager mode off.
     */
    private static void dropEagerArrays(SameDiff sd) {
        sd.disableEagerMode();
        for (String n : new ArrayList<>(sd.getEagerArrays().arrayNames())) {
            sd.getEagerArrays().removeArray(n);
        }
        sd.clearOpInputs();
        System.gc(); // ND4J frees native buffers only with their Java wrappers (NativeGarbage)
    }
}
