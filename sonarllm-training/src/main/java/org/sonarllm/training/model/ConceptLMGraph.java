package org.sonarllm.training.model;

import org.sonarllm.model.ConceptLMConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;

/**
 * The SONAR-LLM concept LM as a SameDiff graph. Trainable variables carry the SONAR-LLM checkpoint
 * key names ({@code forward_proj.linear.weight}, {@code llama_model.model.layers.N.self_attn.q_proj.weight},
 * ...), so checkpoints load and export by name. Input {@value #INPUT} [batch, positions, sonarDim],
 * output {@value #OUTPUT} of the same shape: row t predicts the embedding following inputs 0..t.
 * The RoPE tables and the causal mask are placeholders filled by {@link #feeds(INDArray)}.
 *
 * <pre>{@code
 * SameDiff sd = SameDiff.create();
 * ConceptLMGraph lm = ConceptLMGraph.build(sd, cfg, DataType.FLOAT, ConceptLMWeights.random(cfg, 7, DataType.FLOAT));
 * INDArray pred = sd.output(lm.feeds(inputs), ConceptLMGraph.OUTPUT).get(ConceptLMGraph.OUTPUT);
 * }</pre>
 *
 * <p>Not thread-safe (a SameDiff instance is not).
 */
public final class ConceptLMGraph {
    /** Input placeholder name. */
    public static final String INPUT = "input_embeddings";
    /** Output variable name. */
    public static final String OUTPUT = "predicted_embeddings";
    /** RoPE cosine placeholder [positions, headDim]. */
    public static final String ROPE_COS = "rope_cos";
    /** RoPE sine placeholder [positions, headDim]. */
    public static final String ROPE_SIN = "rope_sin";
    /** Additive causal mask placeholder [groups * positions, positions]. */
    public static final String CAUSAL_MASK = "causal_mask";

    private static final double MASKED = -1e9;

    private final SameDiff sd;
    private final ConceptLMConfig cfg;
    private final DataType dtype;
    private final SDVariable output;
    private final List<String> parameterNames;

    private ConceptLMGraph(SameDiff sd, ConceptLMConfig cfg, DataType dtype, SDVariable output, List<String> names) {
        this.sd = sd;
        this.cfg = cfg;
        this.dtype = dtype;
        this.output = output;
        this.parameterNames = List.copyOf(names);
    }

    /**
     * Adds the concept LM to {@code sd}.
     *
     * @param sd the graph to add to
     * @param cfg model config
     * @param dtype FLOAT or DOUBLE
     * @param params one array per {@link ConceptLMConfig#parameterShapes} entry (copied into variables)
     * @return the graph handle
     */
    public static ConceptLMGraph build(SameDiff sd, ConceptLMConfig cfg, DataType dtype, Map<String, INDArray> params) {
        Map<String, long[]> shapes = cfg.parameterShapes();
        Map<String, SDVariable> w = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            INDArray a = params.get(e.getKey());
            if (a == null) {
                throw new ModelFormatException("expected concept LM parameter " + e.getKey() + ", found none");
            }
            if (!java.util.Arrays.equals(a.shape(), e.getValue())) {
                throw new ModelFormatException("expected " + e.getKey() + " of shape "
                        + java.util.Arrays.toString(e.getValue()) + ", found " + java.util.Arrays.toString(a.shape()));
            }
            w.put(e.getKey(), sd.var(e.getKey(), a.castTo(dtype).dup()));
        }
        int d = cfg.sonarDim();
        int hd = cfg.headDim();
        int nkv = cfg.kvHeads();
        int g = cfg.heads() / nkv;
        SDVariable x = sd.placeHolder(INPUT, dtype, -1, -1, d);
        SDVariable cos = sd.placeHolder(ROPE_COS, dtype, -1, hd);
        SDVariable sin = sd.placeHolder(ROPE_SIN, dtype, -1, hd);
        SDVariable mask = sd.placeHolder(CAUSAL_MASK, dtype, -1, -1);
        SDVariable shape = sd.shape(x);
        SDVariable b = sd.stridedSlice(shape, new long[] {0}, new long[] {1}, 1);
        SDVariable bt = sd.stridedSlice(shape, new long[] {0}, new long[] {2}, 1);

        SDVariable h = linear(sd, sd.reshape(x, -1, d), w.get("forward_proj.linear.weight"), w.get("forward_proj.linear.bias"));
        double scale = 1.0 / Math.sqrt(hd);
        for (int l = 0; l < cfg.layers(); l++) {
            String p = "llama_model.model.layers." + l + ".";
            SDVariable n = rms(sd, h, w.get(p + "input_layernorm.weight"), cfg.rmsEps());
            SDVariable q = linear(sd, n, w.get(p + "self_attn.q_proj.weight"), null);
            SDVariable k = linear(sd, n, w.get(p + "self_attn.k_proj.weight"), null);
            SDVariable v = linear(sd, n, w.get(p + "self_attn.v_proj.weight"), null);
            // q: [N, heads*hd] -> [B, T, kv, g, hd] -> [B, kv, g, T, hd]
            SDVariable q5 = sd.permute(sd.reshape(q, cat(sd, bt, nkv, g, hd)), 0, 2, 3, 1, 4);
            SDVariable k4 = sd.permute(sd.reshape(k, cat(sd, bt, nkv, hd)), 0, 2, 1, 3);
            SDVariable v4 = sd.permute(sd.reshape(v, cat(sd, bt, nkv, hd)), 0, 2, 1, 3);
            q5 = rope(sd, q5, cos, sin, hd, 5);
            k4 = rope(sd, k4, cos, sin, hd, 4);
            SDVariable q4 = sd.reshape(q5, cat(sd, b, nkv, -1, hd));
            SDVariable scores = sd.mmul(q4, k4, false, true, false).mul(scale).add(mask);
            SDVariable probs = sd.nn.softmax(scores, 3);
            SDVariable o = sd.mmul(probs, v4);
            o = sd.permute(sd.reshape(o, cat(sd, b, nkv, g, -1, hd)), 0, 3, 1, 2, 4);
            o = sd.reshape(o, -1, (long) cfg.heads() * hd);
            h = h.add(linear(sd, o, w.get(p + "self_attn.o_proj.weight"), null));
            SDVariable n2 = rms(sd, h, w.get(p + "post_attention_layernorm.weight"), cfg.rmsEps());
            SDVariable gate = linear(sd, n2, w.get(p + "mlp.gate_proj.weight"), null);
            SDVariable up = linear(sd, n2, w.get(p + "mlp.up_proj.weight"), null);
            SDVariable act = gate.mul(sd.nn.sigmoid(gate)).mul(up);
            h = h.add(linear(sd, act, w.get(p + "mlp.down_proj.weight"), null));
        }
        SDVariable hn = rms(sd, h, w.get("llama_model.model.norm.weight"), cfg.rmsEps());
        SDVariable out = linear(sd, hn, w.get("reverse_proj.linear.weight"), w.get("reverse_proj.linear.bias"));
        out = sd.reshape(OUTPUT, out, shape);
        return new ConceptLMGraph(sd, cfg, dtype, out, new ArrayList<>(shapes.keySet()));
    }

    private static SDVariable linear(SameDiff sd, SDVariable x, SDVariable weight, SDVariable bias) {
        SDVariable y = sd.mmul(x, weight, false, true, false);
        return bias == null ? y : y.add(bias);
    }

    private static SDVariable rms(SameDiff sd, SDVariable x, SDVariable weight, double eps) {
        SDVariable ms = sd.mean(sd.math.square(x), true, 1);
        return x.mul(sd.math.rsqrt(ms.add(eps))).mul(weight);
    }

    /** x * cos + rotate_half(x) * sin on the last axis; cos/sin [T, hd] broadcast over leading axes. */
    private static SDVariable rope(SameDiff sd, SDVariable x, SDVariable cos, SDVariable sin, int hd, int rank) {
        long[] begin1 = new long[rank];
        long[] end1 = new long[rank];
        long[] begin2 = new long[rank];
        long[] end2 = new long[rank];
        long[] strides = new long[rank];
        java.util.Arrays.fill(strides, 1);
        end1[rank - 1] = hd / 2;
        begin2[rank - 1] = hd / 2;
        end2[rank - 1] = hd;
        int leading = (1 << (rank - 1)) - 1;
        SDVariable x1 = sd.stridedSlice(x, begin1, end1, strides, leading, leading, 0, 0, 0);
        SDVariable x2 = sd.stridedSlice(x, begin2, end2, strides, leading, leading, 0, 0, 0);
        SDVariable rot = sd.concat(rank - 1, sd.math.neg(x2), x1);
        return x.mul(cos).add(rot.mul(sin));
    }

    private static SDVariable cat(SameDiff sd, SDVariable head, long... rest) {
        return sd.concat(0, head, sd.constant(Nd4j.createFromArray(rest)));
    }

    /** @return the graph */
    public SameDiff sameDiff() {
        return sd;
    }

    /** @return the config */
    public ConceptLMConfig config() {
        return cfg;
    }

    /** @return the output variable */
    public SDVariable output() {
        return output;
    }

    /** @return the trainable parameter names in checkpoint order */
    public List<String> parameterNames() {
        return parameterNames;
    }

    /** @return current parameter values by name (views of the live arrays) */
    public Map<String, INDArray> parameters() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (String n : parameterNames) {
            m.put(n, sd.getVariable(n).getArr());
        }
        return m;
    }

    /**
     * @param input [batch, positions, sonarDim] embeddings
     * @return the placeholder map (input, RoPE tables, causal mask) for one run
     */
    public Map<String, INDArray> feeds(INDArray input) {
        if (input.rank() != 3 || input.size(2) != cfg.sonarDim()) {
            throw new InvalidInputException("expected input of shape [batch, positions, " + cfg.sonarDim()
                    + "], found " + java.util.Arrays.toString(input.shape()));
        }
        int t = (int) input.size(1);
        Map<String, INDArray> f = new LinkedHashMap<>();
        f.put(INPUT, input.castTo(dtype));
        f.put(ROPE_COS, Nd4j.createFromArray(Rope.table(cfg, t, false)).castTo(dtype));
        f.put(ROPE_SIN, Nd4j.createFromArray(Rope.table(cfg, t, true)).castTo(dtype));
        int g = cfg.heads() / cfg.kvHeads();
        double[][] mask = new double[g * t][t];
        for (int r = 0; r < g * t; r++) {
            int pos = r % t;
            for (int s = pos + 1; s < t; s++) {
                mask[r][s] = MASKED;
            }
        }
        f.put(CAUSAL_MASK, Nd4j.createFromArray(mask).castTo(dtype));
        return f;
    }
}
