package org.sonarllm.training.sonar;

import java.util.LinkedHashMap;
import java.util.Map;
import org.sonarllm.InvalidInputException;

/**
 * Shape of a SONAR-style sentence autoencoder (M2M100 encoder with mean pooling, M2M100 decoder
 * cross-attending to the one sentence vector). The same numbers are written as the Hugging Face
 * {@code config.json} of both exported checkpoints.
 *
 * <pre>{@code
 * AutoencoderConfig cfg = new AutoencoderConfig(4204, 256, 4, 1024, 3, 3, 128);
 * }</pre>
 *
 * @param vocab model vocabulary (tokenizer ids incl. specials, languages and {@code <mask>})
 * @param dModel model width = sentence embedding size
 * @param heads attention heads
 * @param ffn feed-forward width
 * @param encoderLayers encoder layers
 * @param decoderLayers decoder layers
 * @param maxPositions max_position_embeddings written to the config
 */
public record AutoencoderConfig(int vocab, int dModel, int heads, int ffn, int encoderLayers, int decoderLayers,
        int maxPositions) {
    /** Padding id (NLLB layout). */
    public static final int PAD = 1;

    /** Validates the shape. */
    public AutoencoderConfig {
        if (vocab <= 4 || dModel <= 0 || heads <= 0 || ffn <= 0 || encoderLayers <= 0 || decoderLayers <= 0
                || maxPositions <= 2 || dModel % heads != 0 || dModel % 2 != 0) {
            throw new InvalidInputException("expected positive sizes with dModel even and divisible by heads, found vocab="
                    + vocab + " d=" + dModel + " heads=" + heads + " ffn=" + ffn + " layers=" + encoderLayers + "+"
                    + decoderLayers + " maxPositions=" + maxPositions);
        }
    }

    /** @return a one-line description used as part of checkpoint fingerprints */
    public String fingerprint() {
        return "ae v" + vocab + " d" + dModel + " h" + heads + " f" + ffn + " l" + encoderLayers + "+" + decoderLayers
                + " p" + maxPositions;
    }

    /**
     * @param architecture "M2M100Encoder" or "M2M100ForConditionalGeneration"
     * @return the Hugging Face M2M100 config as a JSON-ready map
     */
    public Map<String, Object> hfConfig(String architecture) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("activation_dropout", 0.0);
        m.put("activation_function", "relu");
        m.put("architectures", java.util.List.of(architecture));
        m.put("attention_dropout", 0.0);
        m.put("bos_token_id", 0);
        m.put("d_model", dModel);
        m.put("decoder_attention_heads", heads);
        m.put("decoder_ffn_dim", ffn);
        m.put("decoder_layerdrop", 0.0);
        m.put("decoder_layers", decoderLayers);
        m.put("decoder_start_token_id", 2);
        m.put("dropout", 0.0);
        m.put("encoder_attention_heads", heads);
        m.put("encoder_ffn_dim", ffn);
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
}
