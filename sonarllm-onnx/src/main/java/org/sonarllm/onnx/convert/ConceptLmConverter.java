package org.sonarllm.onnx.convert;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.bundle.BundleWriter;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.onnx.graph.ConceptLmGraph;
import org.sonarllm.onnx.graph.OnnxGraphBuilder;
import org.sonarllm.onnx.weights.SafeTensors;

/**
 * Converts a SONAR-LLM checkpoint directory ({@code config.json} plus one or more {@code
 * *.safetensors} files with the released key names {@code forward_proj.linear.*}, {@code
 * llama_model.model.*}, {@code reverse_proj.linear.*}) into {@code concept-lm.onnx}. The unused
 * {@code embed_tokens} / {@code lm_head} tensors and any frozen {@code sonar_decoder.*} weights are
 * ignored. F16/BF16 weights are widened to float32.
 *
 * <pre>{@code
 * ConceptLmConverter.convert(Path.of("sonar_llm"), Path.of("bundle/concept-lm.onnx"));
 * }</pre>
 */
public final class ConceptLmConverter {
    private static final Logger LOG = LoggerFactory.getLogger(ConceptLmConverter.class);
    /** Default file name of the concept LM inside a bundle. */
    public static final String FILE_NAME = "concept-lm.onnx";

    private ConceptLmConverter() {}

    /**
     * @param checkpointDir directory with {@code config.json} and {@code *.safetensors}
     * @param out the {@code .onnx} file to write (a {@code .data} file is added next to it above 2 GB)
     * @return the files written
     * @throws ModelFormatException if the checkpoint is incomplete or inconsistent with its config
     */
    public static List<Path> convert(Path checkpointDir, Path out) {
        Path config = checkpointDir.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            throw new ModelFormatException(checkpointDir + ": expected config.json in the concept LM checkpoint, found none");
        }
        ConceptLMConfig c = ConceptLMConfig.read(config);
        List<Path> files = safetensorsFiles(checkpointDir);
        List<SafeTensors> open = new ArrayList<>();
        try {
            for (Path f : files) {
                open.add(SafeTensors.open(f));
            }
            OnnxGraphBuilder g = new OnnxGraphBuilder("sonarllm_concept_lm");
            g.doc("SONAR-LLM concept LM converted from " + checkpointDir.getFileName());
            ConceptLmGraph.build(g, c, (key, shape) -> {
                for (SafeTensors st : open) {
                    if (st.contains(key)) {
                        st.requireShape(key, shape);
                        return st.floats(key);
                    }
                }
                throw new ModelFormatException(checkpointDir + ": expected tensor '" + key + "' of shape "
                        + Arrays.toString(shape) + ", found none");
            });
            List<Path> written = g.write(out);
            LOG.info("concept LM: {} layers, hidden {}, {}x{} heads ({} kv), sonar_dim {} -> {}", c.layers(), c.hidden(),
                    c.heads(), c.headDim(), c.kvHeads(), c.sonarDim(), out);
            return written;
        } finally {
            open.forEach(SafeTensors::close);
        }
    }

    /**
     * A hook for {@link SonarConverter#convert}: writes {@value #FILE_NAME} into the bundle being built.
     *
     * <pre>{@code
     * SonarConverter.convert(enc, dec, tok, out,
     *         Map.of(BundleManifest.CONCEPT_LM, ConceptLmConverter.componentWriter(Path.of("sonar_llm"), 0)));
     * }</pre>
     *
     * @param checkpointDir the SONAR-LLM checkpoint directory
     * @param contextLimit the context limit to record in the manifest (0: the runtime default)
     * @return the writer
     */
    public static SonarConverter.ComponentWriter componentWriter(Path checkpointDir, int contextLimit) {
        if (contextLimit != 0 && contextLimit < 2) {
            throw new InvalidInputException("context limit must be 0 (default) or >= 2, got " + contextLimit);
        }
        if (!Files.isDirectory(checkpointDir)) {
            throw new ModelFormatException(checkpointDir + ": expected a concept LM checkpoint directory, found "
                    + (Files.exists(checkpointDir) ? "a file" : "nothing"));
        }
        return bundleDir -> new SonarConverter.Written(convert(checkpointDir, bundleDir.resolve(FILE_NAME)),
                contextLimit == 0 ? Map.of() : Map.of(BundleManifest.CONTEXT_LIMIT, contextLimit));
    }

    /**
     * Converts a checkpoint into an existing bundle and records it in the manifest.
     *
     * @param checkpointDir the SONAR-LLM checkpoint directory
     * @param bundleDir an existing bundle
     * @param contextLimit the context limit to record (0: the runtime default)
     */
    public static void addToBundle(Path checkpointDir, Path bundleDir, int contextLimit) {
        SonarConverter.Written w = componentWriter(checkpointDir, contextLimit).write(bundleDir);
        BundleWriter.addComponent(bundleDir, BundleManifest.CONCEPT_LM, w.files(), w.properties());
    }

    private static List<Path> safetensorsFiles(Path dir) {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.safetensors")) {
            ds.forEach(files::add);
        } catch (IOException e) {
            throw new ModelFormatException(dir + ": cannot list the checkpoint: " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new ModelFormatException(dir + ": expected *.safetensors weights in the concept LM checkpoint, found none");
        }
        files.sort(null);
        return files;
    }
}
