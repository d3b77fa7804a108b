package org.sonarllm.training.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;

/**
 * Shape of a SONAR-LLM concept LM: input projection from the SONAR dimension to the Llama hidden
 * size, Llama blocks (RMSNorm, RoPE with optional llama3 scaling, grouped-query attention, SwiGLU)
 * and the output projection back to the SONAR dimension.
 *
 * <pre>{@code
 * ConceptLMConfig cfg = ConceptLMConfig.fromHfConfig(Path.of("sonar_llm/config.json"));
 * ConceptLMConfig paper = ConceptLMConfig.preset("900M");   // a shape of the SONAR-LLM paper
 * }</pre>
 *
 * @param sonarDim sentence-embedding size (input and output of the model)
 * @param hidden Llama hidden size
 * @param layers number of Llama blocks
 * @param heads attention heads
 * @param kvHeads key/value heads (divides {@code heads})
 * @param headDim size of one head
 * @param intermediate SwiGLU inner size
 * @param ropeTheta RoPE base
 * @param ropeScaling llama3 scaling, or {@code null} for plain RoPE
 * @param rmsEps RMSNorm epsilon
 */
public record ConceptLMConfig(int sonarDim, int hidden, int layers, int heads, int kvHeads, int headDim,
        int intermediate, double ropeTheta, Llama3Scaling ropeScaling, double rmsEps) {

    /**
     * llama3 RoPE frequency scaling (transformers {@code _compute_llama3_parameters}).
     *
     * @param factor divisor of low frequencies
     * @param lowFreqFactor low-frequency factor
     * @param highFreqFactor high-frequency factor
     * @param originalMaxPositions original context length
     */
    public record Llama3Scaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {}

    /** Validates the sizes. */
    public ConceptLMConfig {
        if (sonarDim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || headDim <= 0
                || intermediate <= 0) {
            throw new InvalidInputException("concept LM sizes must be positive, found " + this);
        }
        if (heads % kvHeads != 0) {
            throw new InvalidInputException("expected heads divisible by kv heads, found " + heads + " / " + kvHeads);
        }
        if (headDim % 2 != 0) {
            throw new InvalidInputException("expected an even head_dim for RoPE, found " + headDim);
        }
        if (!(rmsEps > 0) || !(ropeTheta > 0)) {
            throw new InvalidInputException("expected positive rms eps and rope theta, found " + rmsEps + ", " + ropeTheta);
        }
    }

    /**
     * Reads a flat LlamaConfig JSON with {@code sonar_dim} (the tiny-a / converter layout), or the
     * SONAR-LLM repository layout with {@code embed_dim} and a nested {@code llama_config}.
     *
     * @param file config.json
     * @return the config
     */
    public static ConceptLMConfig fromHfConfig(Path file) {
        return from(org.sonarllm.onnx.convert.ConceptLmConfig.read(file));
    }

    /**
     * @param root parsed config JSON
     * @return the config
     */
    public static ConceptLMConfig fromHfConfig(JsonNode root) {
        return from(org.sonarllm.onnx.convert.ConceptLmConfig.parse(root));
    }

    /** The training view of the converter's config (one parser for the checkpoint format). */
    private static ConceptLMConfig from(org.sonarllm.onnx.convert.ConceptLmConfig c) {
        org.sonarllm.onnx.convert.ConceptLmConfig.RopeScaling r = c.rope();
        Llama3Scaling scaling = switch (r.type()) {
            case "default" -> null;
            case "llama3" -> new Llama3Scaling(r.factor(), r.lowFreqFactor(), r.highFreqFactor(), r.originalMaxPositions());
            default -> throw new ModelFormatException("expected rope_scaling type llama3 or none, found " + r.type());
        };
        return new ConceptLMConfig(c.sonarDim(), c.hidden(), c.layers(), c.heads(), c.kvHeads(), c.headDim(),
                c.intermediate(), c.ropeTheta(), scaling, c.rmsNormEps());
    }

    /**
     * Number of trainable parameters: exactly the elements of the arrays {@link ConceptLMGraph}
     * creates (forward_proj weight + bias, per block q/k/v/o (no bias), gate/up/down (no bias) and two
     * RMSNorm weights, the final RMSNorm, reverse_proj weight + bias).
     *
     * @return number of trainable parameters
     */
    public long parameterCount() {
        long attn = (long) hidden * heads * headDim + 2L * hidden * kvHeads * headDim + (long) heads * headDim * hidden;
        long mlp = 3L * hidden * intermediate;
        long perLayer = attn + mlp + 2L * hidden;
        return (long) sonarDim * hidden + hidden + layers * perLayer + hidden + (long) hidden * sonarDim + sonarDim;
    }

    /**
     * Size as the SONAR-LLM paper labels its models: {@link #parameterCount()} plus the Llama 3
     * token-embedding table ({@link #LLAMA3_VOCAB_SIZE} x hidden, tied with {@code lm_head}) that the
     * authors' {@code LlamaForCausalLM} allocates although the concept LM never reads it (inputs are
     * {@code inputs_embeds}, outputs the last hidden state).
     *
     * @return parameter count under the paper's convention
     */
    public long paperParameterCount() {
        return parameterCount() + (long) LLAMA3_VOCAB_SIZE * hidden;
    }

    /**
     * A concept LM shape of the SONAR-LLM paper, from the authors' configuration files
     * ({@code SonarLLM_<name>.json} in github.com/FusionBrainLab/SONAR-LLM): Llama blocks without GQA
     * (kv heads = heads), RoPE theta 500000 with llama3 scaling (32, 1, 4, 8192), RMSNorm eps 1e-6,
     * and the real SONAR dimension 1024.
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
        ConceptLMConfig c = name == null ? null : PRESETS.get(name.trim().toUpperCase(java.util.Locale.ROOT));
        if (c == null) {
            throw new InvalidInputException("expected a concept LM preset among " + presetNames() + ", found " + name);
        }
        return c;
    }

    /** @return the preset names, smallest first */
    public static java.util.List<String> presetNames() {
        return java.util.List.copyOf(PRESETS.keySet());
    }

    /**
     * Vocabulary of the Llama 3.2 tokenizer ({@code len(tokenizer)} of meta-llama/Llama-3.2-1B), the
     * size of the unused token-embedding table in the authors' checkpoints.
     */
    public static final int LLAMA3_VOCAB_SIZE = 128256;

    private static final java.util.Map<String, ConceptLMConfig> PRESETS = presets();

    private static java.util.Map<String, ConceptLMConfig> presets() {
        java.util.Map<String, ConceptLMConfig> m = new java.util.LinkedHashMap<>();
        // hidden, layers, heads, head_dim, intermediate: SonarLLM_{100M,300M,600M,900M}.json,
        // FusionBrainLab/SONAR-LLM commit 5239ab39171cf08c32928a0ba60c30d892eaed50.
        m.put("100M", paper(512, 8, 16, 32, 2048));
        m.put("300M", paper(1024, 10, 16, 64, 4096));
        m.put("600M", paper(1280, 16, 26, 64, 5120));
        m.put("900M", paper(1536, 17, 32, 64, 6144));
        return java.util.Collections.unmodifiableMap(m);
    }

    private static ConceptLMConfig paper(int hidden, int layers, int heads, int headDim, int intermediate) {
        return new ConceptLMConfig(1024, hidden, layers, heads, heads, headDim, intermediate, 500000.0,
                new Llama3Scaling(32.0, 1.0, 4.0, 8192), 1e-6);
    }
}
