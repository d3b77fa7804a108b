package org.sonarllm.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;

/**
 * The shape of a SONAR-LLM concept LM, the one record every part of the SDK uses (conversion, the
 * ONNX graph, training, export): an input projection from the sentence-vector size to the Llama hidden
 * size, Llama blocks (RMSNorm, RoPE with optional scaling, grouped-query attention, SwiGLU, no biases)
 * and the output projection back. {@link #parse} is the one reader of the checkpoint configs, {@link
 * #toJson} the one writer, {@link #ropeInverseFrequencies} the one RoPE. Immutable and thread-safe.
 *
 * <pre>{@code
 * ConceptLMConfig c = ConceptLMConfig.read(Path.of("sonar_llm/config.json"));
 * ConceptLMConfig paper = ConceptLMConfig.preset("900M");                  // the authors' shape
 * ConceptLMConfig mine = ConceptLMConfig.llama(1024, 512, 4, 8, 8, 64, 1536);   // paper defaults otherwise
 * double[] inv = c.ropeInverseFrequencies();
 * }</pre>
 *
 * @param sonarDim size of the sentence vectors read and predicted
 * @param hidden Llama hidden size
 * @param layers number of Llama blocks
 * @param heads attention (query) heads
 * @param kvHeads key/value heads (divides {@code heads}; grouped-query attention when smaller)
 * @param headDim size of one head ({@code heads * headDim} may differ from {@code hidden})
 * @param intermediate SwiGLU inner size
 * @param ropeTheta RoPE base
 * @param ropeScaling RoPE frequency scaling ({@link RopeScaling#NONE} for plain RoPE)
 * @param rmsEps RMSNorm epsilon
 * @param maxPositions the config's {@code max_position_embeddings}
 */
public record ConceptLMConfig(int sonarDim, int hidden, int layers, int heads, int kvHeads, int headDim,
        int intermediate, double ropeTheta, RopeScaling ropeScaling, double rmsEps, int maxPositions) {

    /**
     * The end-of-sequence sentence SONAR-LLM is trained to emit after a document's last sentence (in
     * English); a generation stops when a new sentence's vector comes close to its encoding. Bundles record
     * it with its vector ({@code BundleManifest.eosText/eosEmbedding}); this is the one spelling of it.
     */
    public static final String EOS_TEXT = "End of sequence.";

    /** Largest accepted width (sentence size, hidden, intermediate). */
    public static final int MAX_WIDTH = 1 << 17;
    /** Largest accepted layer or head count. */
    public static final int MAX_COUNT = 4096;
    /** Largest accepted {@code max_position_embeddings} (Llama 3 uses 131072). */
    public static final int MAX_POSITIONS = 1 << 22;
    /** {@code max_position_embeddings} of new shapes (Llama 3.2's). */
    public static final int DEFAULT_MAX_POSITIONS = 131072;
    /**
     * Vocabulary of the Llama 3.2 tokenizer ({@code len(tokenizer)} of meta-llama/Llama-3.2-1B), the
     * size of the unused token-embedding table in the authors' checkpoints.
     */
    public static final int LLAMA3_VOCAB_SIZE = 128256;

    /** RoPE scaling kinds (transformers {@code rope_scaling.rope_type}). */
    public enum RopeType {
        /** Plain RoPE. */
        DEFAULT,
        /** All frequencies divided by {@code factor}. */
        LINEAR,
        /** transformers {@code _compute_llama3_parameters}. */
        LLAMA3
    }

    /**
     * RoPE frequency scaling as in Hugging Face {@code rope_scaling}.
     *
     * @param type the kind
     * @param factor divisor of (low) frequencies, 1 for none
     * @param lowFreqFactor llama3 only (1 otherwise)
     * @param highFreqFactor llama3 only (1 otherwise)
     * @param originalMaxPositions llama3 only (0 otherwise)
     */
    public record RopeScaling(RopeType type, double factor, double lowFreqFactor, double highFreqFactor,
            int originalMaxPositions) {
        /** No scaling. */
        public static final RopeScaling NONE = new RopeScaling(RopeType.DEFAULT, 1, 1, 1, 0);

        /** Validates: positive finite factors; llama3 needs high > low and a positive original length. */
        public RopeScaling {
            if (type == null || !positive(factor) || !positive(lowFreqFactor) || !positive(highFreqFactor)) {
                throw new InvalidInputException("expected a rope scaling type and positive finite factors, found "
                        + type + " factor=" + factor + " low_freq_factor=" + lowFreqFactor + " high_freq_factor="
                        + highFreqFactor);
            }
            if (type == RopeType.LLAMA3 && (highFreqFactor <= lowFreqFactor || originalMaxPositions < 1
                    || originalMaxPositions > MAX_POSITIONS)) {
                throw new InvalidInputException("expected llama3 rope scaling with high_freq_factor > low_freq_factor and "
                        + "original_max_position_embeddings in 1.." + MAX_POSITIONS + ", found " + highFreqFactor + ", "
                        + lowFreqFactor + ", " + originalMaxPositions);
            }
        }

        /** @param factor divisor of every frequency @return linear scaling */
        public static RopeScaling linear(double factor) {
            return new RopeScaling(RopeType.LINEAR, factor, 1, 1, 0);
        }

        /**
         * @param factor divisor of low frequencies @param low low_freq_factor @param high high_freq_factor
         * @param original original_max_position_embeddings
         * @return llama3 scaling
         */
        public static RopeScaling llama3(double factor, double low, double high, int original) {
            return new RopeScaling(RopeType.LLAMA3, factor, low, high, original);
        }
    }

    /** Validates every size and value (thrown as {@link InvalidInputException}; parsers rethrow as format errors). */
    public ConceptLMConfig {
        int[] sizes = {sonarDim, hidden, intermediate, layers, heads, kvHeads, headDim};
        int[] limits = {MAX_WIDTH, MAX_WIDTH, MAX_WIDTH, MAX_COUNT, MAX_COUNT, MAX_COUNT, MAX_COUNT};
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] < 1 || sizes[i] > limits[i]) {
                throw new InvalidInputException("expected concept LM sizes in range (sonar_dim, hidden_size and "
                        + "intermediate_size 1.." + MAX_WIDTH + "; layers, heads and head_dim 1.." + MAX_COUNT
                        + "), found sonar_dim=" + sonarDim + " hidden_size=" + hidden + " num_hidden_layers=" + layers
                        + " num_attention_heads=" + heads + " num_key_value_heads=" + kvHeads + " head_dim=" + headDim
                        + " intermediate_size=" + intermediate);
            }
        }
        if (heads % kvHeads != 0) {
            throw new InvalidInputException("expected num_attention_heads divisible by num_key_value_heads, found "
                    + heads + " and " + kvHeads);
        }
        if (headDim % 2 != 0) {
            throw new InvalidInputException("expected an even head_dim for RoPE, found " + headDim);
        }
        if (!positive(ropeTheta) || !positive(rmsEps) || rmsEps >= 1) {
            throw new InvalidInputException("expected a positive finite rope_theta and rms_norm_eps in (0, 1), found "
                    + ropeTheta + " and " + rmsEps);
        }
        if (ropeScaling == null) {
            throw new InvalidInputException("expected a rope scaling (RopeScaling.NONE for none), found null");
        }
        if (maxPositions < 2 || maxPositions > MAX_POSITIONS) {
            throw new InvalidInputException("expected max_position_embeddings in 2.." + MAX_POSITIONS + ", found "
                    + maxPositions);
        }
    }

    private static boolean positive(double v) {
        return v > 0 && Double.isFinite(v);
    }

    /**
     * A new shape with the paper's remaining settings: RoPE theta 500000 with llama3 scaling (32, 1, 4,
     * 8192), RMSNorm eps 1e-6, {@value #DEFAULT_MAX_POSITIONS} positions.
     *
     * @param sonarDim sentence-vector size @param hidden hidden size @param layers blocks
     * @param heads query heads @param kvHeads key/value heads @param headDim head size
     * @param intermediate SwiGLU size
     * @return the config
     * @throws InvalidInputException for sizes out of range
     */
    public static ConceptLMConfig llama(int sonarDim, int hidden, int layers, int heads, int kvHeads, int headDim,
            int intermediate) {
        return new ConceptLMConfig(sonarDim, hidden, layers, heads, kvHeads, headDim, intermediate, 500000.0,
                RopeScaling.llama3(32.0, 1.0, 4.0, 8192), 1e-6, DEFAULT_MAX_POSITIONS);
    }

    /** @param d the sentence-vector size @return a copy with it */
    public ConceptLMConfig withSonarDim(int d) {
        return new ConceptLMConfig(d, hidden, layers, heads, kvHeads, headDim, intermediate, ropeTheta, ropeScaling,
                rmsEps, maxPositions);
    }

    /**
     * Reads a {@code config.json}: a flat Hugging Face {@code LlamaConfig} plus {@code sonar_dim}, or the
     * SONAR-LLM layout with a nested {@code llama_config} and {@code embed_dim}.
     *
     * @param file the config file
     * @return the config
     * @throws ModelFormatException if the file is unreadable, not JSON, or a field is missing, mistyped or
     *     out of range (the message names the file and the field)
     */
    public static ConceptLMConfig read(Path file) {
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
     * @throws ModelFormatException for a missing, mistyped or out-of-range field
     */
    public static ConceptLMConfig parse(JsonNode root) {
        return parse(root, 0);
    }

    /**
     * Parses a config whose sentence-vector size may be absent (the authors' {@code SonarLLM_*.json}
     * files have none; it is then taken from the weights).
     *
     * @param root the parsed JSON (flat or nested layout)
     * @param sonarDimIfAbsent the size to use when the JSON has neither {@code sonar_dim} nor {@code
     *     embed_dim}; 0 makes the field required
     * @return the config
     * @throws ModelFormatException for a missing, mistyped or out-of-range field
     */
    public static ConceptLMConfig parse(JsonNode root, int sonarDimIfAbsent) {
        if (root == null || !root.isObject()) {
            throw new ModelFormatException("expected a JSON object as concept LM config, found "
                    + (root == null ? "nothing" : root.getNodeType()));
        }
        JsonNode llama = root.has("llama_config") ? root.get("llama_config") : root;
        if (!llama.isObject()) {
            throw new ModelFormatException("expected llama_config to be an object, found " + llama.getNodeType());
        }
        Integer dim = firstInt(root, llama, "sonar_dim", "embed_dim");
        if (dim == null && sonarDimIfAbsent <= 0) {
            throw new ModelFormatException("expected field sonar_dim (or embed_dim) in concept LM config, found none");
        }
        int hidden = reqInt(llama, "hidden_size");
        int heads = reqInt(llama, "num_attention_heads");
        int kvHeads = llama.hasNonNull("num_key_value_heads") ? reqInt(llama, "num_key_value_heads") : heads;
        int headDim = llama.hasNonNull("head_dim") ? reqInt(llama, "head_dim") : heads > 0 ? hidden / heads : 0;
        String act = optString(llama, "hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new ModelFormatException("expected hidden_act \"silu\", found \"" + act + "\"");
        }
        if (optBoolean(llama, "attention_bias") || optBoolean(llama, "mlp_bias")) {
            throw new ModelFormatException("expected attention_bias=false and mlp_bias=false (biases unsupported)");
        }
        try {
            return new ConceptLMConfig(dim != null ? dim : sonarDimIfAbsent, hidden, reqInt(llama, "num_hidden_layers"),
                    heads, kvHeads, headDim, reqInt(llama, "intermediate_size"), optDouble(llama, "rope_theta", 10000.0),
                    ropeScaling(llama.get("rope_scaling")), optDouble(llama, "rms_norm_eps", 1e-6),
                    llama.hasNonNull("max_position_embeddings") ? reqInt(llama, "max_position_embeddings") : 2048);
        } catch (InvalidInputException e) {
            throw new ModelFormatException(e.getMessage(), e);
        }
    }

    private static RopeScaling ropeScaling(JsonNode rs) {
        if (rs == null || rs.isNull()) {
            return RopeScaling.NONE;
        }
        if (!rs.isObject()) {
            throw new ModelFormatException("expected rope_scaling to be an object or null, found " + rs);
        }
        String type = rs.hasNonNull("rope_type") ? optString(rs, "rope_type", "default") : optString(rs, "type", "default");
        return switch (type) {
            case "default" -> RopeScaling.NONE;
            case "linear" -> RopeScaling.linear(reqDouble(rs, "factor"));
            case "llama3" -> RopeScaling.llama3(reqDouble(rs, "factor"), reqDouble(rs, "low_freq_factor"),
                    reqDouble(rs, "high_freq_factor"), reqInt(rs, "original_max_position_embeddings"));
            default -> throw new ModelFormatException(
                    "expected rope_scaling type default, linear or llama3, found \"" + type + "\"");
        };
    }

    /**
     * The config as a flat Hugging Face {@code LlamaConfig} plus {@code sonar_dim}, the layout {@link
     * #parse} reads back to an equal record.
     *
     * @return a new JSON object
     */
    public ObjectNode toJson() {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        c.put("sonar_dim", sonarDim);
        c.put("hidden_size", hidden);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kvHeads);
        c.put("head_dim", headDim);
        c.put("intermediate_size", intermediate);
        c.put("hidden_act", "silu");
        c.put("rms_norm_eps", rmsEps);
        c.put("rope_theta", ropeTheta);
        c.put("attention_bias", false);
        c.put("mlp_bias", false);
        c.put("max_position_embeddings", maxPositions);
        if (ropeScaling.type() != RopeType.DEFAULT) {
            ObjectNode rs = c.putObject("rope_scaling");
            rs.put("rope_type", ropeScaling.type().name().toLowerCase(Locale.ROOT));
            rs.put("factor", ropeScaling.factor());
            if (ropeScaling.type() == RopeType.LLAMA3) {
                rs.put("low_freq_factor", ropeScaling.lowFreqFactor());
                rs.put("high_freq_factor", ropeScaling.highFreqFactor());
                rs.put("original_max_position_embeddings", ropeScaling.originalMaxPositions());
            }
        }
        c.put("torch_dtype", "float32");
        return c;
    }

    /**
     * RoPE inverse frequencies {@code theta^(-2i/headDim)}, i &lt; headDim/2, rescaled as {@link
     * #ropeScaling} says (llama3: wavelengths below {@code original/high_freq_factor} kept, above {@code
     * original/low_freq_factor} divided by {@code factor}, smoothly interpolated in between). Computed in
     * double precision; the one RoPE of the SDK (ONNX graph and training graph).
     *
     * @return headDim/2 frequencies
     */
    public double[] ropeInverseFrequencies() {
        int half = headDim / 2;
        double[] f = new double[half];
        for (int i = 0; i < half; i++) {
            double inv = Math.pow(ropeTheta, -(2.0 * i) / headDim);
            f[i] = switch (ropeScaling.type()) {
                case LINEAR -> inv / ropeScaling.factor();
                case LLAMA3 -> llama3(inv);
                case DEFAULT -> inv;
            };
        }
        return f;
    }

    private double llama3(double inv) {
        RopeScaling s = ropeScaling;
        double old = s.originalMaxPositions();
        double lowWavelen = old / s.lowFreqFactor();
        double highWavelen = old / s.highFreqFactor();
        double wavelen = 2 * Math.PI / inv;
        if (wavelen < highWavelen) {
            return inv;
        }
        if (wavelen > lowWavelen) {
            return inv / s.factor();
        }
        double smooth = (old / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
        return (1 - smooth) * inv / s.factor() + smooth * inv;
    }

    /**
     * Every trainable tensor with its shape, in checkpoint order, under the SONAR-LLM key names ({@code
     * forward_proj.linear.*}, {@code llama_model.model.layers.N.*}, {@code llama_model.model.norm.weight},
     * {@code reverse_proj.linear.*}; PyTorch layout, linear weights {@code [out, in]}): the one list the
     * converter, the ONNX graph, the training graph and the exporter share.
     *
     * @return key to shape, in checkpoint order
     */
    public Map<String, long[]> parameterShapes() {
        Map<String, long[]> m = new LinkedHashMap<>();
        int q = heads * headDim;
        int kv = kvHeads * headDim;
        m.put("forward_proj.linear.weight", new long[] {hidden, sonarDim});
        m.put("forward_proj.linear.bias", new long[] {hidden});
        for (int l = 0; l < layers; l++) {
            String p = "llama_model.model.layers." + l + ".";
            m.put(p + "self_attn.q_proj.weight", new long[] {q, hidden});
            m.put(p + "self_attn.k_proj.weight", new long[] {kv, hidden});
            m.put(p + "self_attn.v_proj.weight", new long[] {kv, hidden});
            m.put(p + "self_attn.o_proj.weight", new long[] {hidden, q});
            m.put(p + "mlp.gate_proj.weight", new long[] {intermediate, hidden});
            m.put(p + "mlp.up_proj.weight", new long[] {intermediate, hidden});
            m.put(p + "mlp.down_proj.weight", new long[] {hidden, intermediate});
            m.put(p + "input_layernorm.weight", new long[] {hidden});
            m.put(p + "post_attention_layernorm.weight", new long[] {hidden});
        }
        m.put("llama_model.model.norm.weight", new long[] {hidden});
        m.put("reverse_proj.linear.weight", new long[] {sonarDim, hidden});
        m.put("reverse_proj.linear.bias", new long[] {sonarDim});
        return m;
    }

    /**
     * Number of trainable parameters: the elements of {@link #parameterShapes()}.
     *
     * @return number of trainable parameters
     */
    public long parameterCount() {
        long n = 0;
        for (long[] s : parameterShapes().values()) {
            long e = 1;
            for (long d : s) {
                e *= d;
            }
            n += e;
        }
        return n;
    }

    /**
     * Size as the SONAR-LLM paper labels its models: {@link #parameterCount()} plus the Llama 3
     * token-embedding table ({@value #LLAMA3_VOCAB_SIZE} x hidden, tied with {@code lm_head}) that the
     * authors' {@code LlamaForCausalLM} allocates although the concept LM never reads it.
     *
     * @return parameter count under the paper's convention
     */
    public long paperParameterCount() {
        return parameterCount() + (long) LLAMA3_VOCAB_SIZE * hidden;
    }

    /**
     * A concept LM shape of the SONAR-LLM paper, from the authors' configuration files ({@code
     * SonarLLM_<name>.json} in github.com/FusionBrainLab/SONAR-LLM): {@link #llama} shapes without GQA
     * (kv heads = heads) over the real SONAR dimension 1024.
     *
     * <pre>{@code
     * ConceptLMConfig cfg = ConceptLMConfig.preset("300m");   // hidden 1024, 10 layers
     * }</pre>
     *
     * @param name one of {@link #presetNames()}, case-insensitive
     * @return the shape
     * @throws InvalidInputException for an unknown name (the message lists the known ones)
     */
    public static ConceptLMConfig preset(String name) {
        ConceptLMConfig c = name == null ? null : PRESETS.get(name.trim().toUpperCase(Locale.ROOT));
        if (c == null) {
            throw new InvalidInputException("expected a concept LM preset among " + presetNames() + ", found " + name);
        }
        return c;
    }

    /** @return the preset names, smallest first */
    public static List<String> presetNames() {
        return List.copyOf(PRESETS.keySet());
    }

    private static final Map<String, ConceptLMConfig> PRESETS = presets();

    private static Map<String, ConceptLMConfig> presets() {
        Map<String, ConceptLMConfig> m = new LinkedHashMap<>();
        // hidden, layers, heads, head_dim, intermediate: SonarLLM_{100M,300M,600M,900M}.json,
        // FusionBrainLab/SONAR-LLM commit 5239ab39171cf08c32928a0ba60c30d892eaed50.
        m.put("100M", llama(1024, 512, 8, 16, 16, 32, 2048));
        m.put("300M", llama(1024, 1024, 10, 16, 16, 64, 4096));
        m.put("600M", llama(1024, 1280, 16, 26, 26, 64, 5120));
        m.put("900M", llama(1024, 1536, 17, 32, 32, 64, 6144));
        return Collections.unmodifiableMap(m);
    }

    private static Integer firstInt(JsonNode root, JsonNode llama, String... names) {
        for (JsonNode n : new JsonNode[] {root, llama}) {
            for (String name : names) {
                if (n.hasNonNull(name)) {
                    return reqInt(n, name);
                }
            }
        }
        return null;
    }

    private static int reqInt(JsonNode n, String name) {
        JsonNode v = n.get(name);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new ModelFormatException("expected integer field " + name + " in concept LM config, found "
                    + (v == null ? "none" : v.toString()));
        }
        return v.intValue();
    }

    private static double reqDouble(JsonNode n, String name) {
        JsonNode v = n.get(name);
        if (v == null || !v.isNumber()) {
            throw new ModelFormatException("expected number field " + name + " in concept LM config, found "
                    + (v == null ? "none" : v.toString()));
        }
        return v.doubleValue();
    }

    private static double optDouble(JsonNode n, String name, double def) {
        return n.hasNonNull(name) ? reqDouble(n, name) : def;
    }

    private static String optString(JsonNode n, String name, String def) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isTextual()) {
            throw new ModelFormatException("expected string field " + name + " in concept LM config, found " + v);
        }
        return v.textValue();
    }

    private static boolean optBoolean(JsonNode n, String name) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new ModelFormatException("expected boolean field " + name + " in concept LM config, found " + v);
        }
        return v.booleanValue();
    }
}
