package org.sonarllm.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;

/**
 * The shape of a SONAR encoder/decoder pair (Hugging Face M2M100 layout: pre-LayerNorm transformer,
 * ReLU FFN, sinusoidal positions offset by {@code padding_idx + 1}, scaled token embeddings, mean-pooled
 * encoder, a decoder cross-attending to the one sentence vector). The one record of this model family:
 * the bundle manifest stores it as {@code dimensions}, the converter reads it from checkpoints with
 * {@link #fromHf}, the autoencoder trainer writes its exports with {@link #toHf}. Immutable.
 *
 * <pre>{@code
 * SonarConfig real = new SonarConfig(1024, 256206, 24, 24, 16, 16, 8192, 8192, 512);
 * SonarConfig enc = SonarConfig.fromHf(json, "encoder/config.json");
 * Map<String, Object> hf = enc.toHf("M2M100Encoder");   // config.json content
 * }</pre>
 *
 * @param model the model width d, also the sentence-embedding size (1024 for SONAR)
 * @param vocab the model vocabulary (rows of the embedding matrix; 256206 for SONAR)
 * @param encoderLayers encoder layers
 * @param decoderLayers decoder layers
 * @param encoderHeads encoder attention heads
 * @param decoderHeads decoder attention heads
 * @param encoderFfn encoder FFN size
 * @param decoderFfn decoder FFN size
 * @param maxPositions longest token sequence (max_position_embeddings)
 */
public record SonarConfig(int model, int vocab, int encoderLayers, int decoderLayers, int encoderHeads,
        int decoderHeads, int encoderFfn, int decoderFfn, int maxPositions) {
    /** Padding id of the NLLB layout (also the sinusoid offset: position p uses row p + PAD + 1). */
    public static final int PAD = 1;
    /** Largest accepted width, FFN size or vocabulary. */
    public static final int MAX_WIDTH = 1 << 20;
    /** Largest accepted layer or head count. */
    public static final int MAX_COUNT = 4096;
    /** Largest accepted max_position_embeddings. */
    public static final int MAX_POSITIONS = 1 << 20;

    /** Validates: sizes in range, d even and divisible by both head counts. */
    public SonarConfig {
        int[] v = {model, vocab, encoderFfn, decoderFfn, encoderLayers, decoderLayers, encoderHeads, decoderHeads};
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 1 || v[i] > (i < 4 ? MAX_WIDTH : MAX_COUNT)) {
                throw new InvalidInputException("expected SONAR sizes in range (d, vocab and FFN 1.." + MAX_WIDTH
                        + ", layers and heads 1.." + MAX_COUNT + "), found " + describe(model, vocab, encoderLayers,
                        decoderLayers, encoderHeads, decoderHeads, encoderFfn, decoderFfn, maxPositions));
            }
        }
        if (vocab <= 4 || maxPositions < 3 || maxPositions > MAX_POSITIONS) {
            throw new InvalidInputException("expected a vocabulary above 4 and max positions in 3.." + MAX_POSITIONS
                    + ", found " + vocab + " and " + maxPositions);
        }
        if (model % 2 != 0 || model % encoderHeads != 0 || model % decoderHeads != 0) {
            throw new InvalidInputException("expected an even d divisible by the head counts, found d=" + model
                    + " encoder heads=" + encoderHeads + " decoder heads=" + decoderHeads);
        }
    }

    /**
     * A symmetric shape (encoder and decoder alike), as the autoencoder trainer builds.
     *
     * @param vocab vocabulary @param d width @param heads heads @param ffn FFN size
     * @param encoderLayers encoder layers @param decoderLayers decoder layers @param maxPositions positions
     * @return the config
     */
    public static SonarConfig symmetric(int vocab, int d, int heads, int ffn, int encoderLayers, int decoderLayers,
            int maxPositions) {
        return new SonarConfig(d, vocab, encoderLayers, decoderLayers, heads, heads, ffn, ffn, maxPositions);
    }

    /**
     * @param layers decoder layers
     * @return this shape with that many decoder layers (the autoencoder trainer grows a decoder this way)
     * @throws InvalidInputException if {@code layers} is out of range
     */
    public SonarConfig withDecoderLayers(int layers) {
        return new SonarConfig(model, vocab, encoderLayers, layers, encoderHeads, decoderHeads, encoderFfn, decoderFfn,
                maxPositions);
    }

    private static String describe(int model, int vocab, int el, int dl, int eh, int dh, int ef, int df, int mp) {
        return "d=" + model + " vocab=" + vocab + " layers=" + el + "+" + dl + " heads=" + eh + "+" + dh + " ffn=" + ef
                + "+" + df + " maxPositions=" + mp;
    }

    /** @return the encoder's head size */
    public int encoderHeadDim() {
        return model / encoderHeads;
    }

    /** @return the decoder's head size */
    public int decoderHeadDim() {
        return model / decoderHeads;
    }

    /**
     * Reads a Hugging Face M2M100 {@code config.json} (both sides' fields; the converter reads the encoder
     * side from the encoder checkpoint's config and the decoder side from the decoder's). Checks what this
     * SDK assumes: ReLU activation and the NLLB padding id {@value #PAD}.
     *
     * @param json the parsed config
     * @param source the file, named in messages
     * @return the config
     * @throws ModelFormatException for a missing, mistyped or out-of-range field
     */
    public static SonarConfig fromHf(JsonNode json, String source) {
        if (json == null || !json.isObject()) {
            throw new ModelFormatException(source + ": expected a JSON object, found "
                    + (json == null ? "nothing" : json.getNodeType()));
        }
        JsonNode act = json.get("activation_function");
        if (act != null && !act.isNull() && !"relu".equals(act.asText())) {
            throw new ModelFormatException(source + ": expected activation_function 'relu', found " + act);
        }
        JsonNode pad = json.get("pad_token_id");
        if (pad != null && !pad.isNull() && !(pad.isIntegralNumber() && pad.intValue() == PAD)) {
            throw new ModelFormatException(source + ": expected pad_token_id " + PAD + " (NLLB layout), found " + pad);
        }
        try {
            return new SonarConfig(req(json, "d_model", source), req(json, "vocab_size", source),
                    req(json, "encoder_layers", source), req(json, "decoder_layers", source),
                    req(json, "encoder_attention_heads", source), req(json, "decoder_attention_heads", source),
                    req(json, "encoder_ffn_dim", source), req(json, "decoder_ffn_dim", source),
                    req(json, "max_position_embeddings", source));
        } catch (InvalidInputException e) {
            throw new ModelFormatException(source + ": " + e.getMessage(), e);
        }
    }

    private static int req(JsonNode n, String key, String source) {
        JsonNode v = n.get(key);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new ModelFormatException(source + ": expected integer '" + key + "', found "
                    + (v == null ? "nothing" : v.toString()));
        }
        return v.intValue();
    }

    /**
     * This shape as a Hugging Face M2M100 {@code config.json}, the layout {@link #fromHf} reads back.
     *
     * @param architecture e.g. {@code "M2M100Encoder"} or {@code "M2M100ForConditionalGeneration"}
     * @return the config as a JSON-ready map
     */
    public Map<String, Object> toHf(String architecture) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("activation_dropout", 0.0);
        m.put("activation_function", "relu");
        m.put("architectures", List.of(architecture));
        m.put("attention_dropout", 0.0);
        m.put("bos_token_id", 0);
        m.put("d_model", model);
        m.put("decoder_attention_heads", decoderHeads);
        m.put("decoder_ffn_dim", decoderFfn);
        m.put("decoder_layerdrop", 0.0);
        m.put("decoder_layers", decoderLayers);
        m.put("decoder_start_token_id", 2);
        m.put("dropout", 0.0);
        m.put("encoder_attention_heads", encoderHeads);
        m.put("encoder_ffn_dim", encoderFfn);
        m.put("encoder_layerdrop", 0.0);
        m.put("encoder_layers", encoderLayers);
        m.put("eos_token_id", 2);
        m.put("init_std", 0.02);
        m.put("is_encoder_decoder", true);
        m.put("max_position_embeddings", maxPositions);
        m.put("model_type", "m2m_100");
        m.put("num_hidden_layers", encoderLayers);
        m.put("pad_token_id", PAD);
        m.put("scale_embedding", true);
        m.put("torch_dtype", "float32");
        m.put("use_cache", true);
        m.put("vocab_size", vocab);
        return m;
    }

    /**
     * Angular frequencies of the M2M100 sinusoidal position table, the one definition the ONNX graphs
     * and the training graphs share: row p is {@code [sin(p f_j)]_j ++ [cos(p f_j)]_j} with {@code f_j =
     * exp(-j ln(10000) / (d/2 - 1))}; token t of a sequence uses row {@code t + PAD + 1}.
     *
     * @param d the width (even, at least 4)
     * @return the d/2 frequencies, in double precision
     */
    public static double[] sinusoidFrequencies(int d) {
        if (d < 4 || d % 2 != 0) {
            throw new InvalidInputException("expected an even width of at least 4, found " + d);
        }
        int half = d / 2;
        double[] f = new double[half];
        double step = Math.log(10000.0) / (half - 1);
        for (int j = 0; j < half; j++) {
            f[j] = Math.exp(-j * step);
        }
        return f;
    }
}
