package org.sonarllm.onnx.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.sonarllm.model.ConceptLMConfig;

/**
 * Builds the SONAR-LLM concept LM as an ONNX graph with a key/value cache: {@code forward_proj}
 * (sonar_dim to hidden), Llama decoder layers (RMSNorm, RoPE with the config's scaling, grouped-query
 * attention, SwiGLU MLP, no biases), final RMSNorm, {@code reverse_proj} (hidden to sonar_dim).
 *
 * <p>Graph signature ({@code L} layers, {@code K} key/value heads, {@code d} head size):
 * <ul>
 *   <li>inputs {@code embeddings} float [batch, new, sonar_dim]; {@code position_ids} int64 [batch,
 *       new], each new vector's position in its own sequence (RoPE); {@code attention_mask} int64
 *       [batch, past + new], 1 for a real vector and 0 for padding, over the cache slots and then the
 *       new ones; for i &lt; L, {@code past_key_i} / {@code past_value_i} float [batch, K, past, d]
 *       (past may be 0);
 *   <li>outputs {@code predicted} float [batch, new, sonar_dim] (row t predicts the vector after input
 *       t) and {@code present_key_i} / {@code present_value_i} [batch, K, past + new, d] (keys after RoPE).
 * </ul>
 * Slot {@code s} of the cache and new vectors is visible to new vector {@code j} when {@code s <= past
 * + j} (causal over slots) and {@code attention_mask[b, s] == 1}. So sequences of different lengths
 * share one call: each row pads its slots (mask 0) and numbers its real vectors itself. Masked scores
 * get {@value #MASKED} rather than -infinity, so a padding query whose slots are all masked stays finite
 * (its output is never used). For one unpadded sequence (positions {@code past .. past+new-1}, mask all
 * ones) this is the plain causal attention. Metadata keys {@code sonarllm.*} record the shape for the
 * runtime.
 *
 * <pre>{@code
 * OnnxGraphBuilder g = new OnnxGraphBuilder("concept_lm");
 * try (SafeTensors st = SafeTensors.open(bundle.resolve("concept-lm.safetensors"))) {
 *     ConceptLmGraph.build(g, config, GraphWeights.external(st));
 * }
 * g.write(bundle.resolve("concept-lm.onnx"));
 * }</pre>
 */
public final class ConceptLmGraph {
    /** Name of the input holding the new vectors. */
    public static final String EMBEDDINGS = "embeddings";
    /** Name of the output holding the predictions. */
    public static final String PREDICTED = "predicted";
    /** Name of the input holding each new vector's position in its sequence. */
    public static final String POSITION_IDS = "position_ids";
    /** Name of the input marking real (1) and padding (0) slots, cache first. */
    public static final String ATTENTION_MASK = "attention_mask";
    /** Score given to masked slots before the softmax. */
    public static final float MASKED = -1e30f;

    private final OnnxGraphBuilder g;
    private final ConceptLMConfig c;
    private final GraphWeights w;

    private ConceptLmGraph(OnnxGraphBuilder g, ConceptLMConfig c, GraphWeights w) {
        this.g = g;
        this.c = c;
        this.w = w;
        g.domain(NnBlocks.MS_DOMAIN, 1);
    }

    /** @param layer index @return the past-key input name */
    public static String pastKey(int layer) {
        return "past_key_" + layer;
    }

    /** @param layer index @return the past-value input name */
    public static String pastValue(int layer) {
        return "past_value_" + layer;
    }

    /** @param layer index @return the present-key output name */
    public static String presentKey(int layer) {
        return "present_key_" + layer;
    }

    /** @param layer index @return the present-value output name */
    public static String presentValue(int layer) {
        return "present_value_" + layer;
    }

    /**
     * Adds the whole concept LM to {@code g} (inputs, weights, nodes, outputs, metadata).
     *
     * @param g an empty builder
     * @param config the model's shape
     * @param weights its tensors by their SONAR-LLM keys ({@link ConceptLMConfig#parameterShapes()}), linear
     *     weights {@code [out, in]} as stored
     */
    public static void build(OnnxGraphBuilder g, ConceptLMConfig config, GraphWeights weights) {
        new ConceptLmGraph(g, config, weights).build();
    }

    private void build() {
        int hd = c.headDim();
        Dim b = Dim.dyn("batch");
        Dim t = Dim.dyn("new");
        Dim past = Dim.dyn("past");
        Dim total = Dim.dyn("total");
        g.metadata("sonarllm.component", "concept_lm");
        g.metadata("sonarllm.sonar_dim", Integer.toString(c.sonarDim()));
        g.metadata("sonarllm.layers", Integer.toString(c.layers()));
        g.metadata("sonarllm.kv_heads", Integer.toString(c.kvHeads()));
        g.metadata("sonarllm.head_dim", Integer.toString(hd));
        g.metadata("sonarllm.max_positions", Integer.toString(c.maxPositions()));

        String x = g.input(EMBEDDINGS, ElemType.FLOAT, b, t, Dim.of(c.sonarDim()));
        List<String> pastK = new ArrayList<>();
        List<String> pastV = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            pastK.add(g.input(pastKey(i), ElemType.FLOAT, b, Dim.of(c.kvHeads()), past, Dim.of(hd)));
            pastV.add(g.input(pastValue(i), ElemType.FLOAT, b, Dim.of(c.kvHeads()), past, Dim.of(hd)));
        }

        String positions = g.input(POSITION_IDS, ElemType.INT64, b, t);
        String keyMask = g.input(ATTENTION_MASK, ElemType.INT64, b, total);

        // mask [batch, 1, new, past+new]: slot s visible to new vector j iff s <= past + j and attention_mask[b, s] = 1
        String pastLen = g.node("Squeeze", List.of(g.node("Shape", List.of(pastK.get(0)), Attr.i("start", 2),
                Attr.i("end", 3)), g.constLongs(0)));
        String newLen = g.node("Squeeze", List.of(g.node("Shape", List.of(x), Attr.i("start", 1), Attr.i("end", 2)),
                g.constLongs(0)));
        String totalLen = g.node("Add", List.of(pastLen, newLen));
        String one = g.scalarLong(1);
        String qSlot = g.node("Range", List.of(pastLen, totalLen, one));
        String kSlot = g.node("Range", List.of(g.scalarLong(0), totalLen, one));
        String causal = g.node("LessOrEqual", List.of(g.node("Unsqueeze", List.of(kSlot, g.constLongs(0))),
                g.node("Unsqueeze", List.of(qSlot, g.constLongs(1)))));
        String real = g.node("Unsqueeze", List.of(g.node("Equal", List.of(keyMask, g.scalarLong(1))), g.constLongs(1)));
        String visible = g.node("And", List.of(causal, real));
        String mask = g.node("Unsqueeze", List.of(g.node("Where", List.of(visible, g.scalar(0f), g.scalar(MASKED))),
                g.constLongs(1)));

        double[] invFreq = c.ropeInverseFrequencies();
        float[] inv = new float[invFreq.length];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = (float) invFreq[i];
        }
        // angles [batch, 1, new, d] from each row's own positions
        String freqs = g.node("Mul", List.of(g.node("Unsqueeze", List.of(g.node("Cast", List.of(positions),
                Attr.i("to", ElemType.FLOAT.code())), g.constLongs(2))), g.initializer("rope_inv_freq", inv, 1,
                inv.length)));
        String angles = g.node("Unsqueeze", List.of(g.node("Concat", List.of(freqs, freqs), Attr.i("axis", -1)),
                g.constLongs(1)));
        String cos = g.node("Cos", List.of(angles));
        String sin = g.node("Sin", List.of(angles));

        String h = linear(x, "forward_proj.linear", c.sonarDim(), c.hidden(), true);
        for (int i = 0; i < c.layers(); i++) {
            h = layer(i, h, pastK.get(i), pastV.get(i), cos, sin, mask);
        }
        h = rmsNorm(h, "llama_model.model.norm.weight");
        String y = linear(h, "reverse_proj.linear", c.hidden(), c.sonarDim(), true);
        g.output(y, PREDICTED, ElemType.FLOAT, b, t, Dim.of(c.sonarDim()));
        // declared output order: predicted, then present_key_i/present_value_i per layer
        for (int i = 0; i < c.layers(); i++) {
            g.output(presentKey(i), ElemType.FLOAT, b, Dim.of(c.kvHeads()), total, Dim.of(hd));
            g.output(presentValue(i), ElemType.FLOAT, b, Dim.of(c.kvHeads()), total, Dim.of(hd));
        }
    }

    private String layer(int i, String h, String pastK, String pastV, String cos, String sin, String mask) {
        String p = "llama_model.model.layers." + i + ".";
        int heads = c.heads();
        int kv = c.kvHeads();
        int hd = c.headDim();
        String a = rmsNorm(h, p + "input_layernorm.weight");
        String q = heads(linear(a, p + "self_attn.q_proj", c.hidden(), heads * hd, false), heads);
        String k = heads(linear(a, p + "self_attn.k_proj", c.hidden(), kv * hd, false), kv);
        String v = heads(linear(a, p + "self_attn.v_proj", c.hidden(), kv * hd, false), kv);
        q = rope(q, cos, sin);
        k = rope(k, cos, sin);
        String keys = g.node("Concat", presentKey(i), List.of(pastK, k), Attr.i("axis", 2));
        String values = g.node("Concat", presentValue(i), List.of(pastV, v), Attr.i("axis", 2));
        String kAll = repeatKv(keys);
        String vAll = repeatKv(values);
        String scores = g.node("Mul", List.of(g.node("MatMul", List.of(q, g.node("Transpose", List.of(kAll),
                Attr.ints("perm", 0, 1, 3, 2)))), g.scalar((float) Math.pow(hd, -0.5))));
        String probs = g.node("Softmax", List.of(g.node("Add", List.of(scores, mask))), Attr.i("axis", -1));
        String ctx = g.node("Transpose", List.of(g.node("MatMul", List.of(probs, vAll))), Attr.ints("perm", 0, 2, 1, 3));
        ctx = g.node("Reshape", List.of(ctx, g.constLongs(0, 0, (long) heads * hd)));
        h = g.node("Add", List.of(h, linear(ctx, p + "self_attn.o_proj", heads * hd, c.hidden(), false)));

        String m = rmsNorm(h, p + "post_attention_layernorm.weight");
        String gate = linear(m, p + "mlp.gate_proj", c.hidden(), c.intermediate(), false);
        String up = linear(m, p + "mlp.up_proj", c.hidden(), c.intermediate(), false);
        String act = g.node("Mul", List.of(g.node("Mul", List.of(gate, g.node("Sigmoid", List.of(gate)))), up));
        return g.node("Add", List.of(h, linear(act, p + "mlp.down_proj", c.intermediate(), c.hidden(), false)));
    }

    /** [b, t, n*d] to [b, n, t, d]. */
    private String heads(String x, int n) {
        String r = g.node("Reshape", List.of(x, g.constLongs(0, 0, n, c.headDim())));
        return g.node("Transpose", List.of(r), Attr.ints("perm", 0, 2, 1, 3));
    }

    /** HF rotate_half RoPE: x*cos + cat(-x2, x1)*sin over the last axis. */
    private String rope(String x, String cos, String sin) {
        long half = c.headDim() / 2;
        String axis = g.constLongs(3);
        String x1 = g.node("Slice", List.of(x, g.constLongs(0), g.constLongs(half), axis));
        String x2 = g.node("Slice", List.of(x, g.constLongs(half), g.constLongs(2 * half), axis));
        String rot = g.node("Concat", List.of(g.node("Neg", List.of(x2)), x1), Attr.i("axis", -1));
        return g.node("Add", List.of(g.node("Mul", List.of(x, cos)), g.node("Mul", List.of(rot, sin))));
    }

    /** Grouped-query attention: [b, K, T, d] to [b, H, T, d], head j using key/value head j / (H/K). */
    private String repeatKv(String x) {
        int rep = c.heads() / c.kvHeads();
        if (rep == 1) {
            return x;
        }
        String u = g.node("Unsqueeze", List.of(x, g.constLongs(2)));
        String copies = g.node("Concat", Collections.nCopies(rep, u), Attr.i("axis", 2));
        return g.node("Reshape", List.of(copies, g.constLongs(0, c.heads(), -1, c.headDim())));
    }

    /** RMSNorm: x * (mean(x^2) + eps)^-1/2 * w. */
    private String rmsNorm(String x, String key) {
        String ms = g.node("ReduceMean", List.of(g.node("Mul", List.of(x, x))), Attr.ints("axes", -1),
                Attr.i("keepdims", 1));
        String norm = g.node("Div", List.of(x, g.node("Sqrt", List.of(g.node("Add", List.of(ms,
                g.scalar((float) c.rmsEps())))))));
        return g.node("Mul", List.of(norm, w.tensor(g, key, c.hidden())));
    }

    /** y = x W^T (+ b) on W as stored, [out, in] (FusedMatMul with transB: no transposed copy). */
    private String linear(String x, String prefix, int in, int out, boolean bias) {
        String y = g.nodeIn(NnBlocks.MS_DOMAIN, "FusedMatMul", List.of(x, w.tensor(g, prefix + ".weight", out, in)),
                Attr.i("transB", 1));
        if (bias) {
            y = g.node("Add", List.of(y, w.tensor(g, prefix + ".bias", out)));
        }
        return y;
    }
}
