package org.sonarllm.onnx.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.sonarllm.ModelFormatException;

/**
 * Opens checkpoint weights as a {@link TensorSource} whatever their format: one {@code .safetensors}
 * file, one {@code torch.save} file ({@code .pt}, {@code .bin}), or a Hugging Face checkpoint folder
 * as published, in this order of preference: {@value #SAFETENSORS}, {@value #SAFETENSORS_INDEX} plus
 * its shards, {@value #TORCH_BIN}, {@value #TORCH_BIN_INDEX} plus its shards. Stateless.
 *
 * <pre>{@code
 * try (TensorSource enc = TensorSources.openFolder(Path.of("SONAR_200_text_encoder"))) {
 *     long[] s = enc.shape("embed_tokens.weight");
 * }
 * }</pre>
 */
public final class TensorSources {
    /** A single-file safetensors checkpoint. */
    public static final String SAFETENSORS = "model.safetensors";
    /** The index of a sharded safetensors checkpoint. */
    public static final String SAFETENSORS_INDEX = "model.safetensors.index.json";
    /** A single-file PyTorch checkpoint. */
    public static final String TORCH_BIN = "pytorch_model.bin";
    /** The index of a sharded PyTorch checkpoint. */
    public static final String TORCH_BIN_INDEX = "pytorch_model.bin.index.json";
    /** Largest index file read. */
    static final long MAX_INDEX_BYTES = 64L << 20;

    private TensorSources() {}

    /**
     * @param file a {@code .safetensors} file or a {@code torch.save} zip
     * @return its tensors (for a torch file, those of its state dict; see {@link TorchCheckpoint})
     * @throws ModelFormatException if the file is missing or not a readable checkpoint
     */
    public static TensorSource openFile(Path file) {
        return file.getFileName().toString().endsWith(".safetensors") ? SafeTensors.open(file) : TorchCheckpoint.open(file);
    }

    /**
     * @param files weight files; each name must occur in one of them only
     * @param where the folder they form, for messages
     * @return one source over all of them
     * @throws ModelFormatException if a file is unreadable or a name occurs twice
     */
    public static TensorSource openFiles(List<Path> files, Path where) {
        if (files.size() == 1) {
            return openFile(files.get(0));
        }
        List<TensorSource> parts = new ArrayList<>();
        try {
            for (Path f : files) {
                parts.add(openFile(f));
            }
        } catch (RuntimeException e) {
            parts.forEach(TensorSource::close);
            throw e;
        }
        return ShardedTensors.of(where, parts);
    }

    /**
     * @param dir a Hugging Face checkpoint folder
     * @return whether it holds weights in one of the layouts {@link #openFolder} reads
     */
    public static boolean hasHfWeights(Path dir) {
        for (String f : List.of(SAFETENSORS, SAFETENSORS_INDEX, TORCH_BIN, TORCH_BIN_INDEX)) {
            if (Files.isRegularFile(dir.resolve(f))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Opens the weights of a Hugging Face checkpoint folder (see the class comment for the layouts).
     *
     * @param dir the folder
     * @return its tensors
     * @throws ModelFormatException if it holds none of the layouts, or an index names missing or
     *     inconsistent shards
     */
    public static TensorSource openFolder(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": expected a checkpoint folder, found "
                    + (Files.exists(dir) ? "a file" : "nothing"));
        }
        if (Files.isRegularFile(dir.resolve(SAFETENSORS))) {
            return SafeTensors.open(dir.resolve(SAFETENSORS));
        }
        if (Files.isRegularFile(dir.resolve(SAFETENSORS_INDEX))) {
            return openIndex(dir.resolve(SAFETENSORS_INDEX));
        }
        if (Files.isRegularFile(dir.resolve(TORCH_BIN))) {
            return TorchCheckpoint.open(dir.resolve(TORCH_BIN));
        }
        if (Files.isRegularFile(dir.resolve(TORCH_BIN_INDEX))) {
            return openIndex(dir.resolve(TORCH_BIN_INDEX));
        }
        throw new ModelFormatException(dir + ": expected weights as " + SAFETENSORS + ", " + SAFETENSORS_INDEX + " (+ shards), "
                + TORCH_BIN + " or " + TORCH_BIN_INDEX + " (+ shards), found " + listing(dir));
    }

    private static String listing(Path dir) {
        try (var s = Files.list(dir)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().limit(20).toList();
            return names.isEmpty() ? "an empty folder" : names.toString();
        } catch (IOException e) {
            return "an unreadable folder (" + e.getMessage() + ")";
        }
    }

    /**
     * A sharded checkpoint: {@code {"weight_map": {"name": "shard file", ...}}}; every shard must lie in
     * the index's folder and hold exactly the names the map gives it.
     */
    private static TensorSource openIndex(Path index) {
        JsonNode root;
        try {
            if (Files.size(index) > MAX_INDEX_BYTES) {
                throw new ModelFormatException(index + ": expected an index of at most " + MAX_INDEX_BYTES + " bytes, found "
                        + Files.size(index));
            }
            root = new ObjectMapper().readTree(Files.readAllBytes(index));
        } catch (IOException e) {
            throw new ModelFormatException(index + ": expected a JSON shard index, found unreadable content: "
                    + e.getMessage().lines().findFirst().orElse(""), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new ModelFormatException(index + ": expected a non-empty object 'weight_map', found "
                    + (map == null ? "none" : map.getNodeType()));
        }
        Map<String, TreeSet<String>> byShard = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String shard = e.getValue().isTextual() ? e.getValue().asText() : null;
            if (shard == null || shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.equals("..")
                    || shard.equals(".") || shard.indexOf('\0') >= 0) {
                throw new ModelFormatException(index + ": expected a file name in the index's folder for tensor '"
                        + e.getKey() + "', found " + e.getValue());
            }
            byShard.computeIfAbsent(shard, k -> new TreeSet<>()).add(e.getKey());
        }
        List<Path> files = new ArrayList<>();
        for (String shard : byShard.keySet()) {
            Path f = index.resolveSibling(shard);
            if (!Files.isRegularFile(f)) {
                throw new ModelFormatException(index + ": expected shard " + shard + ", found no such file");
            }
            files.add(f);
        }
        List<TensorSource> parts = new ArrayList<>();
        try {
            for (Path f : files) {
                TensorSource p = openFile(f);
                parts.add(p);
                TreeSet<String> want = byShard.get(f.getFileName().toString());
                TreeSet<String> have = new TreeSet<>(p.names());
                if (!have.containsAll(want)) {
                    want.removeAll(have);
                    throw new ModelFormatException(index + ": expected " + f.getFileName() + " to hold the tensors the"
                            + " index maps to it, found it without " + (want.size() > 5 ? want.headSet(
                                    List.copyOf(want).get(5)) + " ... (" + want.size() + ")" : want));
                }
            }
        } catch (RuntimeException e) {
            parts.forEach(TensorSource::close);
            throw e;
        }
        return ShardedTensors.of(index, parts);
    }
}
