package org.sonarllm.onnx.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.bundle.BundleWriter;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.graph.ConceptLmGraph;
import org.sonarllm.onnx.graph.GraphWeights;
import org.sonarllm.onnx.graph.OnnxGraphBuilder;
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.onnx.weights.SafeTensorsWriter;

/**
 * Converts a SONAR-LLM concept-LM checkpoint folder as downloaded (the authors' {@code checkpoint.pt}
 * with {@code SonarLLM_<size>.json}, the Hugging Face layout, or {@code config.json} plus {@code
 * *.safetensors}; see {@link #componentWriter}) into the bundle's {@value BundleManifest#CONCEPT_LM}
 * component: the parameters once, as {@value #WEIGHTS_FILE} (float32, SONAR-LLM key names, the layout
 * {@code ConceptLMConfig.parameterShapes()} lists), and {@value #FILE_NAME}, whose initializers are
 * ONNX external data pointing into that file. The component's properties record the model's config
 * ({@value #CONFIG_PROPERTY}, a flat Llama config plus {@code sonar_dim}) and {@value
 * BundleManifest#ADD_BEGIN}, so training and evaluation read the same weights the runtime runs.
 * Tensors are streamed one piece at a time; F16/BF16 are widened.
 *
 * <pre>{@code
 * ConceptLmConverter.addToBundle(Path.of("SONAR-LLM-600M"), Path.of("bundle"), 0);
 * }</pre>
 */
public final class ConceptLmConverter {
    private static final Logger LOG = LoggerFactory.getLogger(ConceptLmConverter.class);
    /** File name of the concept LM graph inside a bundle. */
    public static final String FILE_NAME = "concept-lm.onnx";
    /** File name of its weights inside a bundle. */
    public static final String WEIGHTS_FILE = "concept-lm.safetensors";
    /** Component property holding the model's config (the JSON {@code ConceptLMConfig.toJson()} writes). */
    public static final String CONFIG_PROPERTY = BundleManifest.CONCEPT_LM_CONFIG;

    private ConceptLmConverter() {}

    /**
     * Converts a checkpoint folder into a graph file and its weights file beside it.
     *
     * @param checkpointDir the checkpoint folder (any layout of {@link #componentWriter})
     * @param out the {@code .onnx} file; the weights go beside it as {@code <name>.safetensors}
     * @return the files written: the graph, then the weights
     * @throws ModelFormatException if the checkpoint is incomplete or inconsistent with its config
     */
    public static List<Path> convert(Path checkpointDir, Path out) {
        try (ConceptLmCheckpoint ck = ConceptLmCheckpoint.open(checkpointDir)) {
            return write(ck, out, (s, d, t) -> { });
        }
    }

    private static List<Path> write(ConceptLmCheckpoint ck, Path out, SonarConverter.Progress progress) {
        String name = out.getFileName().toString();
        Path weights = out.resolveSibling((name.endsWith(".onnx") ? name.substring(0, name.length() - 5) : name)
                + ".safetensors");
        SafeTensorsWriter w = new SafeTensorsWriter();
        ck.tensors().forEach((key, sourceKey) -> w.copy(key, ck.source(), sourceKey));
        String label = weights.getFileName().toString();
        w.write(weights, (t, done, total) -> progress.update(label, done, total));
        ConceptLMConfig c = ck.config();
        OnnxGraphBuilder g = new OnnxGraphBuilder("sonarllm_concept_lm");
        g.doc("SONAR-LLM concept LM converted from " + ck.dir().getFileName());
        try (SafeTensors st = SafeTensors.open(weights)) {
            ConceptLmGraph.build(g, c, GraphWeights.external(st));
        }
        List<Path> graph = g.write(out);
        LOG.info("concept LM: {} layers, hidden {}, {}x{} heads ({} kv), sonar_dim {}, add_begin {} -> {}", c.layers(),
                c.hidden(), c.heads(), c.headDim(), c.kvHeads(), c.sonarDim(), ck.addBegin(), out);
        return List.of(graph.get(0), weights);
    }

    /**
     * A component writer for {@link SonarConverter#convert}: opens and checks the checkpoint now (config,
     * every tensor's presence and shape), its sentence size against the bundle's before anything is
     * written, and writes {@value #FILE_NAME} and {@value #WEIGHTS_FILE} into the bundle being built.
     *
     * <p>Accepted folders: the authors' release (any {@code *.pt} / {@code *.bin} next to {@code
     * SonarLLM_*.json} or {@code config.json}; the state dict under {@code model_state_dict}, {@code
     * state_dict}, {@code model} or {@code module}); the Hugging Face layout ({@code config.json} with
     * {@code llama_config}, {@code embed_dim}, {@code add_begin} and {@code pytorch_model.bin} or {@code
     * model.safetensors}, sharded or not); {@code config.json} plus {@code *.safetensors}.
     *
     * <pre>{@code
     * SonarConverter.convert(enc, dec, tok, out,
     *         Map.of(BundleManifest.CONCEPT_LM, ConceptLmConverter.componentWriter(Path.of("sonar_llm"), 0)),
     *         OnnxConceptEncoder::open);
     * }</pre>
     *
     * @param checkpointDir the checkpoint folder
     * @param contextLimit the context limit to record in the manifest (0: the runtime default)
     * @return the writer; the converter closes it
     * @throws ModelFormatException if the folder is missing, incomplete or inconsistent
     * @throws InvalidInputException if the context limit is 1 or negative
     */
    public static SonarConverter.ComponentWriter componentWriter(Path checkpointDir, int contextLimit) {
        if (contextLimit != 0 && contextLimit < 2) {
            throw new InvalidInputException("context limit must be 0 (default) or >= 2, got " + contextLimit);
        }
        ConceptLmCheckpoint ck = ConceptLmCheckpoint.open(checkpointDir);
        return new SonarConverter.ComponentWriter() {
            @Override
            public void validate(SonarConfig dims) {
                if (ck.config().sonarDim() != dims.model()) {
                    throw new ModelFormatException(checkpointDir + ": expected a concept LM over sentence vectors of "
                            + dims.model() + " (the SONAR model's d_model), found sonar_dim " + ck.config().sonarDim());
                }
            }

            @Override
            public long bytes() {
                return ck.float32Bytes();
            }

            @Override
            public SonarConverter.Written write(Path bundleDir, SonarConverter.Progress progress) {
                return new SonarConverter.Written(ConceptLmConverter.write(ck, bundleDir.resolve(FILE_NAME), progress),
                        properties(ck, contextLimit));
            }

            @Override
            public void close() {
                ck.close();
            }
        };
    }

    private static Map<String, Object> properties(ConceptLmCheckpoint ck, int contextLimit) {
        Map<String, Object> p = new LinkedHashMap<>();
        @SuppressWarnings("unchecked")
        Map<String, Object> cfg = new ObjectMapper().convertValue(ck.config().toJson(), Map.class);
        p.put(CONFIG_PROPERTY, cfg);
        p.put(BundleManifest.ADD_BEGIN, ck.addBegin());
        if (contextLimit != 0) {
            p.put(BundleManifest.CONTEXT_LIMIT, contextLimit);
        }
        return p;
    }

    /**
     * Converts a checkpoint into an existing bundle and records it in the manifest (replacing a concept
     * LM it had).
     *
     * @param checkpointDir the checkpoint folder
     * @param bundleDir an existing bundle
     * @param contextLimit the context limit to record (0: the runtime default)
     */
    public static void addToBundle(Path checkpointDir, Path bundleDir, int contextLimit) {
        if (!Files.isDirectory(bundleDir)) {
            throw new ModelFormatException(bundleDir + ": expected a bundle directory, found nothing");
        }
        try (SonarConverter.ComponentWriter cw = componentWriter(checkpointDir, contextLimit)) {
            cw.validate(org.sonarllm.bundle.Bundle.readManifest(bundleDir).dimensions());
            SonarConverter.Written w = cw.write(bundleDir, (s, d, t) -> { });
            BundleWriter.addComponent(bundleDir, BundleManifest.CONCEPT_LM, w.files(), w.properties());
        }
    }
}
