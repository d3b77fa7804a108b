package org.sonarllm.onnx.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sonarllm.ModelFormatException;

/**
 * The shape of a SONAR-LLM concept LM, read from its {@code config.json}: either a flat Hugging Face
 * {@code LlamaConfig} plus {@code sonar_dim}, or the SONAR-LLM repository's nested layout {@code
 * {"llama_config": {...}, "embed_dim": 1024}}. Immutable.
 *
 * <pre>{@code
 * ConceptLmConfig c = ConceptLmConfig.read(Path.of("sonar_llm/config.json"));
 * double[] invFreq = c.ropeInvFreq();   // llama3-scaled RoPE frequencies
 * }</pre>
 *
 * @param sonarDim size of the sentence vectors read and predicted
 * @param hidden Llama hidden size
 * @param layers number of decoder layers
 * @param heads attention (query) heads
 * @param kvHeads key/value heads (grouped-query attention when below {@code heads})
 * @param headDim size of one head ({@code heads * headDim} may differ from {@code hidden})
 * @param intermediate SwiGLU inner size
 * @param rmsNormEps RMSNorm epsilon
 * @param ropeTheta RoPE base
 * @param rope RoPE scaling ({@code null} type = none)
 * @param maxPositions the config's {@code max_position_embeddings}
 */
public record ConceptLmConfig(int sonarDim, int hidden, int layers, int heads, int kvHeads, int headDim,
        int intermediate, double rmsNormEps, double ropeTheta, RopeScaling rope, int maxPositions) {

    /**
     * RoPE scaling as in Hugging Face {@code rope_scaling}.
     *
     * @param type {@code "default"}, {@code "linear"} or {@code "llama3"}
     * @param factor the scaling factor
     * @param lowFreqFactor llama3 only
     * @param highFreqFactor llama3 only
     * @param originalMaxPositions llama3 only
     */
    public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
            int originalMaxPositions) {
        /** No scaling. */
        public static final RopeScaling NONE = new RopeScaling("default", 1, 1, 1, 0);
    }

    /** Validates the shape. */
    public ConceptLmConfig {
        if (sonarDim < 1 || hidden < 1 || layers < 1 || heads < 1 || kvHeads < 1 || headDim < 1 || intermediate < 1) {
            throw new ModelFormatException("concept LM config: expected positive sizes, found sonar_dim=" + sonarDim
                    + " hidden_size=" + hidden + " num_hidden_layers=" + layers + " num_attention_heads=" + heads
                    + " num_key_value_heads=" + kvHeads + " head_dim=" + headDim + " intermediate_size=" + intermediate);
        }
        if (heads % kvHeads != 0) {
            throw new ModelFormatException("concept LM config: expected num_attention_heads divisible by "
                    + "num_key_value_heads, found " + heads + " and " + kvHeads);
        }
        if (headDim % 2 != 0) {
            throw new ModelFormatException("concept LM config: expected an even head_dim for RoPE, found " + headDim);
        }
    }

    /**
     * @param file a {@code config.json}
     * @return the parsed config
     * @throws ModelFormatException if the file is unreadable, not JSON, or lacks a field
     */
    public static ConceptLmConfig read(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new ModelFormatException("cannot read concept LM config " + file + ": " + e.getMessage(), e);
        }
        try {
            return parse(root);
        } catch (ModelFormatException e) {
            throw new ModelFormatException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param root the parsed JSON (flat or nested layout)
     * @return the config
     */
    public static ConceptLmConfig parse(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new ModelFormatException("expected a JSON object as concept LM config, found "
                    + (root == null ? "nothing" : root.getNodeType()));
        }
        JsonNode llama = root.has("llama_config") ? root.get("llama_config") : root;
        if (!llama.isObject()) {
            throw new ModelFormatException("expected llama_config to be an object, found " + llama.getNodeType());
        }
        int sonarDim = firstInt(root, llama, "sonar_dim", "embed_dim");
        int hidden = reqInt(llama, "hidden_size");
        int heads = reqInt(llama, "num_attention_heads");
        int kvHeads = llama.hasNonNull("num_key_value_heads") ? reqInt(llama, "num_key_value_heads") : heads;
        int headDim = llama.hasNonNull("head_dim") ? reqInt(llama, "head_dim") : hidden / heads;
        String act = llama.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new ModelFormatException("expected hidden_act \"silu\", found \"" + act + "\"");
        }
        if (llama.path("attention_bias").asBoolean(false) || llama.path("mlp_bias").asBoolean(false)) {
            throw new ModelFormatException("expected attention_bias=false and mlp_bias=false (biases unsupported)");
        }
        RopeScaling rope = RopeScaling.NONE;
        JsonNode rs = llama.get("rope_scaling");
        if (rs != null && !rs.isNull()) {
            String type = rs.hasNonNull("rope_type") ? rs.get("rope_type").asText() : rs.path("type").asText("default");
            switch (type) {
                case "default" -> { }
                case "linear" -> rope = new RopeScaling("linear", reqDouble(rs, "factor"), 1, 1, 0);
                case "llama3" -> rope = new RopeScaling("llama3", reqDouble(rs, "factor"),
                        reqDouble(rs, "low_freq_factor"), reqDouble(rs, "high_freq_factor"),
                        reqInt(rs, "original_max_position_embeddings"));
                default -> throw new ModelFormatException(
                        "expected rope_scaling type default, linear or llama3, found \"" + type + "\"");
            }
        }
        return new ConceptLmConfig(sonarDim, hidden, reqInt(llama, "num_hidden_layers"), heads, kvHeads, headDim,
                reqInt(llama, "intermediate_size"), llama.path("rms_norm_eps").asDouble(1e-6),
                llama.path("rope_theta").asDouble(10000.0), rope, llama.path("max_position_embeddings").asInt(2048));
    }

    /**
     * RoPE inverse frequencies {@code theta^(-2i/headDim)}, i &lt; headDim/2, rescaled as the config's
     * {@code rope_scaling} says (llama3: wavelengths below {@code original/high_freq_factor} kept, above
     * {@code original/low_freq_factor} divided by {@code factor}, smoothly interpolated in between).
     * Computed in double precision.
     *
     * @return headDim/2 frequencies
     */
    public double[] ropeInvFreq() {
        int half = headDim / 2;
        double[] f = new double[half];
        for (int i = 0; i < half; i++) {
            double inv = Math.pow(ropeTheta, -(2.0 * i) / headDim);
            f[i] = switch (rope.type()) {
                case "linear" -> inv / rope.factor();
                case "llama3" -> llama3(inv);
                default -> inv;
            };
        }
        return f;
    }

    private double llama3(double inv) {
        double old = rope.originalMaxPositions();
        double lowWavelen = old / rope.lowFreqFactor();
        double highWavelen = old / rope.highFreqFactor();
        double wavelen = 2 * Math.PI / inv;
        if (wavelen < highWavelen) {
            return inv;
        }
        if (wavelen > lowWavelen) {
            return inv / rope.factor();
        }
        double smooth = (old / wavelen - rope.lowFreqFactor()) / (rope.highFreqFactor() - rope.lowFreqFactor());
        return (1 - smooth) * inv / rope.factor() + smooth * inv;
    }

    private static int firstInt(JsonNode root, JsonNode llama, String... names) {
        for (JsonNode n : new JsonNode[] {root, llama}) {
            for (String name : names) {
                if (n.hasNonNull(name)) {
                    return reqInt(n, name);
                }
            }
        }
        throw new ModelFormatException("expected field sonar_dim (or embed_dim) in concept LM config, found none");
    }

    private static int reqInt(JsonNode n, String name) {
        JsonNode v = n.get(name);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new ModelFormatException("expected integer field " + name + " in concept LM config, found "
                    + (v == null ? "none" : v.toString()));
        }
        return v.intValue();
    }

    private static double reqDouble(JsonNode n, String name) {
        JsonNode v = n.get(name);
        if (v == null || !v.isNumber()) {
            throw new ModelFormatException("expected number field " + name + " in rope_scaling, found "
                    + (v == null ? "none" : v.toString()));
        }
        return v.doubleValue();
    }
}
