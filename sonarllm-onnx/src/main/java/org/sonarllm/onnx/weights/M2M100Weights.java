package org.sonarllm.onnx.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.sonarllm.ModelFormatException;
import org.sonarllm.model.SonarConfig;

/**
 * One side (encoder or decoder) of a Hugging Face M2M100 checkpoint directory ({@code config.json} +
 * {@code model.safetensors}) with its dimensions read from the config by the one reader, {@link
 * SonarConfig#fromHf}, and every tensor's shape checked against them. Accepts the bare layout ({@code layers.N...}, as M2M100Encoder saves it) and
 * the full-model layouts ({@code model.encoder.*}, {@code model.decoder.*}, {@code lm_head.weight},
 * {@code model.shared.weight}). Not thread-safe; close it to release the mapping.
 *
 * <pre>{@code
 * try (M2M100Weights enc = M2M100Weights.open(Path.of("encoder"), M2M100Weights.Side.ENCODER)) {
 *     ByteBuffer q = enc.tensor("layers.0.self_attn.q_proj.weight", enc.dModel(), enc.dModel());
 * }
 * }</pre>
 */
public final class M2M100Weights implements AutoCloseable {
    /** Which half of the seq2seq model a directory holds. */
    public enum Side {
        /** The text encoder. */
        ENCODER,
        /** The text decoder. */
        DECODER
    }

    private final SafeTensors st;
    private final SonarConfig shape;
    private final String prefix;
    private final int layers;
    private final int heads;
    private final int ffn;
    private final boolean scaleEmbedding;

    private M2M100Weights(SafeTensors st, SonarConfig shape, boolean scaleEmbedding, Side side) {
        this.st = st;
        this.shape = shape;
        this.layers = side == Side.ENCODER ? shape.encoderLayers() : shape.decoderLayers();
        this.heads = side == Side.ENCODER ? shape.encoderHeads() : shape.decoderHeads();
        this.ffn = side == Side.ENCODER ? shape.encoderFfn() : shape.decoderFfn();
        this.scaleEmbedding = scaleEmbedding;
        String s = side == Side.ENCODER ? "encoder" : "decoder";
        List<String> candidates = side == Side.ENCODER ? List.of("", "model.encoder.", "encoder.")
                : List.of("model.decoder.", "decoder.", "");
        String found = null;
        for (String p : candidates) {
            if (st.contains(p + "layers.0.fc1.weight")) {
                found = p;
                break;
            }
        }
        if (found == null) {
            throw new ModelFormatException(st.path() + ": expected M2M100 " + s + " keys such as '"
                    + candidates.get(0) + "layers.0.fc1.weight', found " + preview(st.names()));
        }
        prefix = found;
        if (side == Side.DECODER && !st.contains(prefix + "layers.0.encoder_attn.v_proj.weight")) {
            throw new ModelFormatException(st.path() + ": expected decoder cross-attention tensors '" + prefix
                    + "layers.0.encoder_attn.*', found none (is this an encoder checkpoint?)");
        }
        if (st.contains(prefix + "layers." + layers() + ".fc1.weight")) {
            throw new ModelFormatException(st.path() + ": expected " + layers() + " layers as config says, found more ("
                    + prefix + "layers." + layers() + ".*)");
        }
    }

    private static String preview(List<String> names) {
        return names.size() <= 5 ? names.toString() : names.subList(0, 5) + " ... (" + names.size() + " tensors)";
    }

    /**
     * @param dir a directory with config.json and model.safetensors
     * @param side which half it holds
     * @return the weights
     * @throws ModelFormatException for missing files or inconsistent configs
     */
    public static M2M100Weights open(Path dir, Side side) {
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": expected a checkpoint directory, found "
                    + (Files.exists(dir) ? "a file" : "nothing"));
        }
        Path cfg = dir.resolve("config.json");
        Path model = dir.resolve("model.safetensors");
        List<String> missing = new ArrayList<>();
        for (Path p : List.of(cfg, model)) {
            if (!Files.isRegularFile(p)) {
                missing.add(p.getFileName().toString());
            }
        }
        if (!missing.isEmpty()) {
            throw new ModelFormatException(dir + ": expected config.json and model.safetensors, missing " + missing);
        }
        JsonNode json = readJson(cfg);
        SonarConfig shape = SonarConfig.fromHf(json, cfg.toString());
        JsonNode scale = json.get("scale_embedding");
        if (scale != null && !scale.isNull() && !scale.isBoolean()) {
            throw new ModelFormatException(cfg + ": expected boolean 'scale_embedding', found " + scale);
        }
        SafeTensors st = SafeTensors.open(model);
        try {
            return new M2M100Weights(st, shape, scale == null || scale.isNull() || scale.booleanValue(), side);
        } catch (RuntimeException e) {
            st.close();
            throw e;
        }
    }

    private static JsonNode readJson(Path file) {
        try {
            return new ObjectMapper().readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new ModelFormatException(file + ": expected a JSON config, found unreadable content: "
                    + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /**
     * @param name key relative to the side's prefix (e.g. {@code layers.0.fc1.weight})
     * @param shape the expected shape
     * @return little-endian float32 bytes
     * @throws ModelFormatException if missing or of another shape
     */
    public ByteBuffer tensor(String name, long... shape) {
        return absolute(prefix + name, shape);
    }

    private ByteBuffer absolute(String key, long... shape) {
        st.requireShape(key, shape);
        return st.float32Bytes(key);
    }

    /**
     * The token embedding matrix {@code [vocab, d]} (the prefix's embed_tokens, else model.shared).
     *
     * @return little-endian float32 bytes
     */
    public ByteBuffer embedTokens() {
        String k = prefix + "embed_tokens.weight";
        if (!st.contains(k) && st.contains("model.shared.weight")) {
            k = "model.shared.weight";
        }
        return absolute(k, vocab(), dModel());
    }

    /**
     * The output projection {@code [vocab, d]}: lm_head.weight if stored, else the tied embedding.
     *
     * @return little-endian float32 bytes
     */
    public ByteBuffer lmHead() {
        return st.contains("lm_head.weight") ? absolute("lm_head.weight", vocab(), dModel()) : embedTokens();
    }

    /** @return whether lm_head is absent or holds the same values as the embedding */
    public boolean lmHeadTied() {
        return !st.contains("lm_head.weight") || lmHead().equals(embedTokens());
    }

    /** @return the encoder/decoder shape read from config.json (both sides' fields) */
    public SonarConfig shape() {
        return shape;
    }

    /** @return d_model */
    public int dModel() {
        return shape.model();
    }

    /** @return this side's layer count */
    public int layers() {
        return layers;
    }

    /** @return this side's attention heads */
    public int heads() {
        return heads;
    }

    /** @return this side's FFN size */
    public int ffn() {
        return ffn;
    }

    /** @return vocabulary rows */
    public int vocab() {
        return shape.vocab();
    }

    /** @return the pad id, also the sinusoid offset ({@link SonarConfig#PAD}: the reader accepts no other) */
    public int padId() {
        return SonarConfig.PAD;
    }

    /** @return max_position_embeddings */
    public int maxPositions() {
        return shape.maxPositions();
    }

    /** @return the embedding multiplier, sqrt(d) when scale_embedding (the default) */
    public float embedScale() {
        return scaleEmbedding ? (float) Math.sqrt(dModel()) : 1f;
    }

    @Override
    public void close() {
        st.close();
    }
}
