package org.sonarllm.onnx.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sonarllm.ModelFormatException;
import org.sonarllm.model.SonarConfig;

/**
 * One side (encoder or decoder) of a Hugging Face M2M100 checkpoint folder, checked completely when
 * opened: {@code config.json} read by the one reader, {@link SonarConfig#fromHf}, and every tensor the
 * SONAR graphs use present with the shape the config implies. The weights may be in any layout {@link
 * TensorSources#openFolder} reads ({@code model.safetensors}, sharded safetensors, {@code
 * pytorch_model.bin}, sharded {@code .bin}; F32, F16 or BF16). Keys are accepted bare ({@code
 * layers.N...}, as M2M100Encoder saves them) or under the full-model prefixes ({@code model.encoder.},
 * {@code model.decoder.}, {@code encoder.}, {@code decoder.}), each also behind DDP's {@code module.}.
 *
 * <p>{@link #tensors()} maps the names this SDK stores, the <em>canonical</em> keys, to the source's:
 * the encoder's are bare M2M100Encoder keys ({@code embed_tokens.weight}, {@code layers.N.*}, {@code
 * layer_norm.*}); the decoder's are M2M100ForConditionalGeneration keys under {@value #DECODER_PREFIX},
 * plus {@value #LM_HEAD} only when it differs from the embedding. Tensors the graphs provably never
 * use are left out: the decoder's cross-attention q/k projections and its cross-attention LayerNorm
 * (attention over a single vector makes them irrelevant). Not thread-safe; close it to release the files.
 *
 * <pre>{@code
 * try (M2M100Weights enc = M2M100Weights.open(Path.of("encoder"), M2M100Weights.Side.ENCODER)) {
 *     SafeTensorsWriter w = new SafeTensorsWriter();
 *     enc.addTo(w, false);
 *     w.write(Path.of("bundle/encoder.safetensors"));
 * }
 * }</pre>
 */
public final class M2M100Weights implements AutoCloseable {
    /** Canonical key prefix of the decoder's tensors. */
    public static final String DECODER_PREFIX = "model.decoder.";
    /** Canonical key of an untied output projection. */
    public static final String LM_HEAD = "lm_head.weight";

    /** Which half of the seq2seq model a directory holds. */
    public enum Side {
        /** The text encoder. */
        ENCODER,
        /** The text decoder. */
        DECODER
    }

    private final TensorSource st;
    private final SonarConfig shape;
    private final Side side;
    private final String prefix;
    private final boolean scaleEmbedding;
    private final Map<String, String> tensors;

    private M2M100Weights(TensorSource st, SonarConfig shape, boolean scaleEmbedding, Side side) {
        this.st = st;
        this.shape = shape;
        this.side = side;
        this.scaleEmbedding = scaleEmbedding;
        String s = side == Side.ENCODER ? "encoder" : "decoder";
        List<String> bases = side == Side.ENCODER ? List.of("", "model.encoder.", "encoder.")
                : List.of("model.decoder.", "decoder.", "");
        String found = null;
        for (String ddp : List.of("", "module.")) {
            for (String p : bases) {
                if (found == null && st.contains(ddp + p + "layers.0.fc1.weight")) {
                    found = ddp + p;
                }
            }
        }
        if (found == null) {
            throw new ModelFormatException(st.path() + ": expected M2M100 " + s + " keys such as '"
                    + bases.get(0) + "layers.0.fc1.weight', found " + preview(st.names()));
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
        this.tensors = Collections.unmodifiableMap(plan());
    }

    private static String preview(List<String> names) {
        return names.size() <= 5 ? names.toString() : names.subList(0, 5) + " ... (" + names.size() + " tensors)";
    }

    /** Canonical key to source key for every tensor the graphs use, each checked for presence and shape. */
    private Map<String, String> plan() {
        String canon = side == Side.ENCODER ? "" : DECODER_PREFIX;
        int d = dModel();
        Map<String, String> m = new LinkedHashMap<>();
        String ddp = prefix.startsWith("module.") ? "module." : "";
        String emb = prefix + "embed_tokens.weight";
        if (!st.contains(emb) && st.contains(ddp + "model.shared.weight")) {
            emb = ddp + "model.shared.weight";
        }
        put(m, canon + "embed_tokens.weight", emb, vocab(), d);
        for (int l = 0; l < layers(); l++) {
            String p = "layers." + l + ".";
            for (String proj : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
                linear(m, canon, p + "self_attn." + proj + ".", d, d);
            }
            norm(m, canon, p + "self_attn_layer_norm.", d);
            if (side == Side.DECODER) {
                linear(m, canon, p + "encoder_attn.v_proj.", d, d);
                linear(m, canon, p + "encoder_attn.out_proj.", d, d);
            }
            norm(m, canon, p + "final_layer_norm.", d);
            linear(m, canon, p + "fc1.", ffn(), d);
            linear(m, canon, p + "fc2.", d, ffn());
        }
        norm(m, canon, "layer_norm.", d);
        if (side == Side.DECODER && st.contains(ddp + LM_HEAD)) {
            st.requireShape(ddp + LM_HEAD, vocab(), d);
            if (!sameValues(emb, ddp + LM_HEAD)) {
                m.put(LM_HEAD, ddp + LM_HEAD);
            }
        }
        return m;
    }

    private void linear(Map<String, String> m, String canon, String p, int out, int in) {
        put(m, canon + p + "weight", prefix + p + "weight", out, in);
        put(m, canon + p + "bias", prefix + p + "bias", out);
    }

    private void norm(Map<String, String> m, String canon, String p, int d) {
        put(m, canon + p + "weight", prefix + p + "weight", d);
        put(m, canon + p + "bias", prefix + p + "bias", d);
    }

    private void put(Map<String, String> m, String canonical, String source, long... shape) {
        if (!st.contains(source)) {
            throw new ModelFormatException(st.path() + ": expected tensor '" + source + "' of shape "
                    + Arrays.toString(shape) + ", found none");
        }
        st.requireShape(source, shape);
        m.put(canonical, source);
    }

    /** Whether two tensors hold the same float32 values (compared by the SHA-256 of their streamed bytes). */
    private boolean sameValues(String a, String b) {
        return MessageDigest.isEqual(digest(a), digest(b));
    }

    private byte[] digest(String name) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            st.readFloat32(name, md::update);
            return md.digest();
        } catch (NoSuchAlgorithmException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @param dir a checkpoint folder: config.json and weights in a layout {@link TensorSources#openFolder} reads
     * @param side which half it holds
     * @return the checked weights
     * @throws ModelFormatException for missing files, inconsistent configs, missing or misshapen tensors
     */
    public static M2M100Weights open(Path dir, Side side) {
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": expected a checkpoint directory, found "
                    + (Files.exists(dir) ? "a file" : "nothing"));
        }
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) {
            throw new ModelFormatException(dir + ": expected config.json (the Hugging Face M2M100 config), found none");
        }
        JsonNode json = readJson(cfg);
        SonarConfig shape = SonarConfig.fromHf(json, cfg.toString());
        JsonNode scale = json.get("scale_embedding");
        if (scale != null && !scale.isNull() && !scale.isBoolean()) {
            throw new ModelFormatException(cfg + ": expected boolean 'scale_embedding', found " + scale);
        }
        TensorSource st = TensorSources.openFolder(dir);
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
     * @return canonical key to the source's key, for every tensor the graphs use, in a fixed order
     */
    public Map<String, String> tensors() {
        return tensors;
    }

    /** @return the open source of the weights */
    public TensorSource source() {
        return st;
    }

    /** @return the float32 bytes of {@link #tensors()} */
    public long float32Bytes() {
        long n = 0;
        for (String s : tensors.values()) {
            n += st.numel(s) * 4;
        }
        return n;
    }

    /**
     * Adds every tensor of {@link #tensors()} under its canonical key, streamed from the source when the
     * writer writes (this must stay open until then).
     *
     * @param w the writer
     * @param half whether to store each tensor as float16 ({@link SafeTensorsWriter#copyAsHalf}) instead of float32
     */
    public void addTo(SafeTensorsWriter w, boolean half) {
        tensors.forEach((canonical, source) -> {
            if (half) {
                w.copyAsHalf(canonical, st, source);
            } else {
                w.copy(canonical, st, source);
            }
        });
    }

    /** @return whether the output projection is the embedding (no {@value #LM_HEAD} is stored) */
    public boolean lmHeadTied() {
        return !tensors.containsKey(LM_HEAD);
    }

    /** @return the encoder/decoder shape read from config.json (both sides' fields) */
    public SonarConfig shape() {
        return shape;
    }

    /** @return whether token embeddings are scaled by sqrt(d) ({@code scale_embedding}, default true) */
    public boolean scaleEmbedding() {
        return scaleEmbedding;
    }

    /** @return d_model */
    public int dModel() {
        return shape.model();
    }

    /** @return this side's layer count */
    public int layers() {
        return side == Side.ENCODER ? shape.encoderLayers() : shape.decoderLayers();
    }

    /** @return this side's attention heads */
    public int heads() {
        return side == Side.ENCODER ? shape.encoderHeads() : shape.decoderHeads();
    }

    /** @return this side's FFN size */
    public int ffn() {
        return side == Side.ENCODER ? shape.encoderFfn() : shape.decoderFfn();
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
