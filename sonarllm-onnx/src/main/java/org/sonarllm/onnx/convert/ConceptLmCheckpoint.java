package org.sonarllm.onnx.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sonarllm.ModelFormatException;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.onnx.weights.TensorSource;
import org.sonarllm.onnx.weights.TensorSources;

/**
 * A SONAR-LLM concept-LM checkpoint folder as downloaded, opened and checked completely: its config and
 * every tensor the concept LM needs (present, right shape). Three layouts:
 *
 * <ul>
 *   <li>the authors' release: any {@code *.pt} / {@code *.bin} (a {@code train_sonarllm_fast.py}
 *       checkpoint: the state dict under {@code model_state_dict}, beside optimizer and RNG states) next
 *       to {@code SonarLLM_<size>.json} ({@code {"pretrained_model_name_or_path", "llama_config"}}, no
 *       sentence size: it is taken from {@code forward_proj.linear.weight});
 *   <li>the Hugging Face layout: {@code config.json} ({@code llama_config}, {@code embed_dim}, {@code
 *       add_begin}) and {@code pytorch_model.bin} (possibly wrapped in {@code model_state_dict}) or
 *       {@code model.safetensors} (or their sharded forms);
 *   <li>this SDK's: {@code config.json} (flat Llama config plus {@code sonar_dim}) and one or more
 *       {@code *.safetensors}.
 * </ul>
 *
 * Keys may carry DDP's {@code module.} or torch.compile's {@code _orig_mod.} prefix; the frozen {@code
 * sonar_decoder.*} tensors and the unused Llama token embedding are ignored. Not thread-safe; close it.
 */
final class ConceptLmCheckpoint implements AutoCloseable {
    private static final List<String> PREFIXES = List.of("", "module.", "_orig_mod.", "module._orig_mod.");
    private static final String PROBE = "forward_proj.linear.weight";

    private final Path dir;
    private final TensorSource source;
    private final ConceptLMConfig config;
    private final boolean addBegin;
    private final Map<String, String> tensors;

    private ConceptLmCheckpoint(Path dir, TensorSource source, ConceptLMConfig config, boolean addBegin,
            Map<String, String> tensors) {
        this.dir = dir;
        this.source = source;
        this.config = config;
        this.addBegin = addBegin;
        this.tensors = tensors;
    }

    /**
     * @param dir the checkpoint folder
     * @return the checked checkpoint; close it
     * @throws ModelFormatException naming the file and the expected content for anything missing or wrong
     */
    static ConceptLmCheckpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": expected a concept LM checkpoint directory, found "
                    + (Files.exists(dir) ? "a file" : "nothing"));
        }
        Path configFile = configFile(dir);
        JsonNode root = readJson(configFile);
        TensorSource src = weights(dir);
        try {
            String prefix = null;
            for (String p : PREFIXES) {
                if (prefix == null && src.contains(p + PROBE)) {
                    prefix = p;
                }
            }
            if (prefix == null) {
                throw new ModelFormatException(src.path() + ": expected SONAR-LLM tensors such as '" + PROBE + "', found "
                        + preview(src.names()));
            }
            long[] probe = src.shape(prefix + PROBE);
            if (probe.length != 2 || probe[1] < 1 || probe[1] > Integer.MAX_VALUE) {
                throw new ModelFormatException(src.path() + ": tensor '" + prefix + PROBE + "': expected shape [hidden, "
                        + "sonar_dim], found " + Arrays.toString(probe));
            }
            ConceptLMConfig cfg;
            try {
                cfg = ConceptLMConfig.parse(root, (int) probe[1]);
            } catch (ModelFormatException e) {
                throw new ModelFormatException(configFile + ": " + e.getMessage(), e);
            }
            Map<String, String> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : cfg.parameterShapes().entrySet()) {
                String key = prefix + e.getKey();
                if (!src.contains(key)) {
                    throw new ModelFormatException(src.path() + ": expected tensor '" + key + "' of shape "
                            + Arrays.toString(e.getValue()) + " (config " + configFile.getFileName() + "), found none");
                }
                src.requireShape(key, e.getValue());
                tensors.put(e.getKey(), key);
            }
            JsonNode ab = root.get("add_begin");
            if (ab != null && !ab.isNull() && !ab.isBoolean()) {
                throw new ModelFormatException(configFile + ": expected boolean 'add_begin', found " + ab);
            }
            return new ConceptLmCheckpoint(dir, src, cfg, ab != null && ab.asBoolean(), tensors);
        } catch (RuntimeException e) {
            src.close();
            throw e;
        }
    }

    private static String preview(List<String> names) {
        return names.size() <= 5 ? names.toString() : names.subList(0, 5) + " ... (" + names.size() + " tensors)";
    }

    /** {@code config.json}, else the one {@code SonarLLM_*.json}. */
    private static Path configFile(Path dir) {
        Path config = dir.resolve("config.json");
        if (Files.isRegularFile(config)) {
            return config;
        }
        List<Path> named = list(dir, "SonarLLM_*.json");
        if (named.size() == 1) {
            return named.get(0);
        }
        throw new ModelFormatException(dir + ": expected config.json or one SonarLLM_*.json in the concept LM checkpoint, "
                + "found " + (named.isEmpty() ? "none" : names(named)));
    }

    /** The weights: a Hugging Face layout, else every *.safetensors, else the one *.pt / *.bin / *.pth. */
    private static TensorSource weights(Path dir) {
        if (TensorSources.hasHfWeights(dir)) {
            return TensorSources.openFolder(dir);
        }
        List<Path> st = list(dir, "*.safetensors");
        if (!st.isEmpty()) {
            return TensorSources.openFiles(st, dir);
        }
        List<Path> torch = list(dir, "*.{pt,bin,pth}");
        if (torch.size() == 1) {
            return TensorSources.openFile(torch.get(0));
        }
        throw new ModelFormatException(dir + ": expected the concept LM weights as *.safetensors or one *.pt / *.bin "
                + "checkpoint, found " + (torch.isEmpty() ? "none" : names(torch) + " (keep one checkpoint in the folder)"));
    }

    private static List<Path> list(Path dir, String glob) {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
            for (Path p : ds) {
                if (Files.isRegularFile(p)) {
                    files.add(p);
                }
            }
        } catch (IOException e) {
            throw new ModelFormatException(dir + ": cannot list the checkpoint: " + e.getMessage(), e);
        }
        files.sort(null);
        return files;
    }

    private static String names(List<Path> files) {
        return files.stream().map(p -> p.getFileName().toString()).toList().toString();
    }

    private static JsonNode readJson(Path file) {
        try {
            JsonNode n = new ObjectMapper().readTree(Files.readAllBytes(file));
            if (n == null || !n.isObject()) {
                throw new ModelFormatException(file + ": expected a JSON object, found " + (n == null ? "nothing" : n.getNodeType()));
            }
            return n;
        } catch (IOException e) {
            throw new ModelFormatException(file + ": expected a JSON config, found unreadable content: "
                    + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /** @return the folder */
    Path dir() {
        return dir;
    }

    /** @return the model's shape */
    ConceptLMConfig config() {
        return config;
    }

    /** @return whether generation prefixes the authors' "Begin of text." sentence ({@code add_begin}) */
    boolean addBegin() {
        return addBegin;
    }

    /** @return SONAR-LLM key to the source's key, for every parameter, in checkpoint order */
    Map<String, String> tensors() {
        return tensors;
    }

    /** @return the open weights */
    TensorSource source() {
        return source;
    }

    /** @return float32 bytes of the parameters */
    long float32Bytes() {
        return config.parameterCount() * 4;
    }

    @Override
    public void close() {
        source.close();
    }
}
