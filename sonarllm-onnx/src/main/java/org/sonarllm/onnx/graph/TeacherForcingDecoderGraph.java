package org.sonarllm.onnx.graph;

import java.nio.ByteBuffer;
import java.util.List;
import org.sonarllm.onnx.weights.M2M100Weights;

/**
 * Builds the teacher-forcing SONAR decoder graph for training: {@code decoder_input_ids [b, t]}
 * int64 and {@code embedding [b, d]} float -> {@code logits [b, t, vocab]}. It uses only ops that
 * ND4J's samediff-import-onnx (1.0.0-M2.1) imports: no LayerNormalization (ReduceMean/Sub/Mul/Add/
 * Sqrt/Div instead), no Pow, Trilu, Split, Where, ConstantOfShape; linear layers are Gemm(transB=1)
 * on rank-2 {@code [b*t, d]} hidden states; every node is named after its output.
 *
 * <p>Two sequence-length modes:
 * <ul>
 *   <li>dynamic ({@link #build(M2M100Weights)}): positions from CumSum of ones, causal mask from
 *       Greater on positions, reshape shapes from Shape(decoder_input_ids) + Concat;
 *   <li>fixed ({@link #build(M2M100Weights, int)}): the position rows and the causal mask are constant
 *       initializers and every reshape shape is constant ({@code t} must equal the given length;
 *       pad shorter rows with {@code <pad>} at the end, which the causal mask keeps from affecting
 *       real positions). Use it if an importer rejects the dynamic ops.
 * </ul>
 *
 * <pre>{@code
 * try (M2M100Weights w = M2M100Weights.open(dir, M2M100Weights.Side.DECODER)) {
 *     TeacherForcingDecoderGraph.build(w).write(Path.of("decoder_training.onnx"));
 *     TeacherForcingDecoderGraph.build(w, 64).write(Path.of("decoder_training_t64.onnx"));
 * }
 * }</pre>
 */
public final class TeacherForcingDecoderGraph {
    /** Input ids {@code [b, t]}. */
    public static final String INPUT_IDS = "decoder_input_ids";
    /** Input sentence embedding {@code [b, d]}. */
    public static final String EMBEDDING = "embedding";
    /**
     * Input position rows {@code [b, t]} int64 of the {@link #buildWithPositionInput} variant: row
     * {@code k} of the M2M100 sinusoid table, i.e. {@code padding_idx + 1 + position}.
     */
    public static final String POSITION_IDS = "position_ids";
    /** Output logits {@code [b, t, vocab]}. */
    public static final String LOGITS = "logits";

    private TeacherForcingDecoderGraph() {}

    /** @param w decoder weights @return the graph with a dynamic sequence length */
    public static OnnxGraphBuilder build(M2M100Weights w) {
        return build(w, 0);
    }

    /**
     * Dynamic-length variant without CumSum: positions come from the extra int64 input
     * {@link #POSITION_IDS} {@code [b, t]} (values {@code padding_idx + 1 + p}), which also drives the
     * causal mask. This is the form ND4J's importer runs (it fails executing CumSum on int64).
     *
     * @param w decoder weights
     * @return the graph
     */
    public static OnnxGraphBuilder buildWithPositionInput(M2M100Weights w) {
        return build(w, -1);
    }

    /**
     * @param w decoder weights
     * @param fixedLength the sequence length baked into the graph, or 0 for dynamic
     * @return the graph
     */
    public static OnnxGraphBuilder build(M2M100Weights w, int fixedLength) {
        int d = w.dModel();
        int h = w.heads();
        int dh = d / h;
        int v = w.vocab();
        boolean fixed = fixedLength > 0;
        boolean posInput = fixedLength < 0;
        if (fixed && fixedLength > w.maxPositions()) {
            throw new IllegalArgumentException("fixed length " + fixedLength + " exceeds max_position_embeddings "
                    + w.maxPositions());
        }
        OnnxGraphBuilder g = new OnnxGraphBuilder("sonar_decoder_training");
        g.doc("SONAR decoder, teacher forcing, ND4J-importable op set; written by sonarllm-java");
        if (posInput) {
            g.autoNamePrefix("n_"); // node names must differ from the op names SameDiff generates
        }
        NnBlocks nn = new NnBlocks(g, NnBlocks.Style.PORTABLE);
        String ids = g.input(INPUT_IDS, ElemType.INT64, Dim.dyn("batch"), fixed ? Dim.of(fixedLength) : Dim.dyn("seq"));
        String e = g.input(EMBEDDING, ElemType.FLOAT, Dim.dyn("batch"), Dim.of(d));
        String posIds = posInput ? g.input(POSITION_IDS, ElemType.INT64, Dim.dyn("batch"), Dim.dyn("seq")) : null;

        String table = g.rawInitializer("embed_tokens", ElemType.FLOAT, w.embedTokens(), v, d);
        String emb = g.node("Mul", List.of(g.node("Gather", List.of(table, ids), Attr.i("axis", 0)),
                g.scalar(w.embedScale())));
        String pos;
        String mask;
        String shapeBtd;
        String shapeBthd;
        String shapeBtv;
        if (fixed) {
            pos = g.initializer("positions", positionRows(w.padId() + 1, fixedLength, d), fixedLength, d);
            float[] m = new float[fixedLength * fixedLength];
            for (int i = 0; i < fixedLength; i++) {
                for (int j = i + 1; j < fixedLength; j++) {
                    m[i * fixedLength + j] = -1e9f;
                }
            }
            mask = g.initializer("causal_mask", m, fixedLength, fixedLength);
            shapeBtd = g.constLongs(-1, fixedLength, d);
            shapeBthd = g.constLongs(-1, fixedLength, h, dh);
            shapeBtv = g.constLongs(-1, fixedLength, v);
        } else {
            String step;
            if (posInput) {
                // table row k holds sinusoid position k; callers pass padding_idx + 1 + p
                int rows = w.maxPositions() + w.padId() + 1;
                String posTable = g.initializer("position_table", positionRows(0, rows, d), rows, d);
                pos = g.node("Gather", List.of(posTable, posIds), Attr.i("axis", 0));
                step = posIds;
            } else {
                // positions 1..t per row from a cumulative sum of ones (no Shape -> ConstantOfShape)
                String ones = g.node("Add", List.of(g.node("Mul", List.of(ids, g.scalarLong(0))), g.scalarLong(1)));
                step = g.node("CumSum", List.of(ones, g.scalarLong(1)));
                int rows = w.maxPositions();
                String posTable = g.initializer("position_table", positionRows(w.padId() + 1, rows, d), rows, d);
                pos = g.node("Gather", List.of(posTable, g.node("Sub", List.of(step, g.scalarLong(1)))),
                        Attr.i("axis", 0));
            }
            String later = g.node("Greater", List.of(g.node("Unsqueeze", List.of(step, g.constLongs(1))),
                    g.node("Unsqueeze", List.of(step, g.constLongs(2)))));
            String m = g.node("Mul", List.of(g.node("Cast", List.of(later), Attr.i("to", ElemType.FLOAT.code())),
                    g.scalar(-1e9f)));
            mask = g.node("Unsqueeze", List.of(m, g.constLongs(1)));
            String bt = g.node("Shape", List.of(ids));
            shapeBtd = g.node("Concat", List.of(bt, g.constLongs(d)), Attr.i("axis", 0));
            shapeBthd = g.node("Concat", List.of(bt, g.constLongs(h, dh)), Attr.i("axis", 0));
            shapeBtv = g.node("Concat", List.of(bt, g.constLongs(v)), Attr.i("axis", 0));
        }
        String flatD = g.constLongs(-1, d);
        String x = g.node("Reshape", List.of(g.node("Add", List.of(emb, pos)), flatD));
        for (int l = 0; l < w.layers(); l++) {
            String p = "layers." + l + ".";
            String[] qkv = nn.m2m100Qkv(w, x, p, d, dh);
            String q = heads(g, qkv[0], shapeBthd);
            String k = heads(g, qkv[1], shapeBthd);
            String val = heads(g, qkv[2], shapeBthd);
            String ctx = nn.attention(q, k, val, mask);
            String merged = g.node("Reshape", List.of(g.node("Transpose", List.of(ctx), Attr.ints("perm", 0, 2, 1, 3)),
                    flatD));
            String o = nn.linear(merged, w.tensor(p + "self_attn.out_proj.weight", d, d),
                    w.tensor(p + "self_attn.out_proj.bias", d), d, d, p + "out_proj");
            x = g.node("Add", List.of(x, o));
            // cross-attention over one vector: out_proj(v_proj(e)), the same for every position
            String c = crossTerm(nn, w, e, p + "encoder_attn.", d);
            String x3 = g.node("Reshape", List.of(x, shapeBtd));
            String c3 = g.node("Reshape", List.of(c, g.constLongs(-1, 1, d)));
            x = g.node("Reshape", List.of(g.node("Add", List.of(x3, c3)), flatD));
            x = ffn(nn, w, x, p, d);
        }
        x = nn.layerNorm(x, w.tensor("layer_norm.weight", d), w.tensor("layer_norm.bias", d), SonarEncoderGraph.LN_EPS,
                "layer_norm");
        String head = w.lmHeadTied() ? table : g.rawInitializer("lm_head", ElemType.FLOAT, w.lmHead(), v, d);
        String logits2 = g.node("Gemm", List.of(x, head), Attr.i("transB", 1));
        g.node("Reshape", LOGITS, List.of(logits2, shapeBtv));
        g.output(LOGITS, ElemType.FLOAT, Dim.dyn("batch"), fixed ? Dim.of(fixedLength) : Dim.dyn("seq"), Dim.of(v));
        return g;
    }

    private static String heads(OnnxGraphBuilder g, String x2, String shapeBthd) {
        return g.node("Transpose", List.of(g.node("Reshape", List.of(x2, shapeBthd))), Attr.ints("perm", 0, 2, 1, 3));
    }

    private static String crossTerm(NnBlocks nn, M2M100Weights w, String e, String p, int d) {
        ByteBuffer vw = w.tensor(p + "v_proj.weight", d, d);
        String vv = nn.linear(e, vw, w.tensor(p + "v_proj.bias", d), d, d, p + "v_proj");
        return nn.linear(vv, w.tensor(p + "out_proj.weight", d, d), w.tensor(p + "out_proj.bias", d), d, d,
                p + "out_proj");
    }

    private static String ffn(NnBlocks nn, M2M100Weights w, String x, String p, int d) {
        OnnxGraphBuilder g = nn.graph();
        int f = w.ffn();
        String hN = nn.layerNorm(x, w.tensor(p + "final_layer_norm.weight", d), w.tensor(p + "final_layer_norm.bias", d),
                SonarEncoderGraph.LN_EPS, p + "final_layer_norm");
        String a = g.node("Relu", List.of(nn.linear(hN, w.tensor(p + "fc1.weight", f, d), w.tensor(p + "fc1.bias", f),
                f, d, p + "fc1")));
        return g.node("Add", List.of(x, nn.linear(a, w.tensor(p + "fc2.weight", d, f), w.tensor(p + "fc2.bias", d), d, f,
                p + "fc2")));
    }

    /** Rows {@code first .. first+n-1} of the M2M100 sinusoid table, float32 as HF computes them. */
    static float[] positionRows(int first, int n, int d) {
        float[] f = NnBlocks.sinusoidFrequencies(d);
        int half = d / 2;
        float[] out = new float[n * d];
        for (int r = 0; r < n; r++) {
            float p = first + r;
            for (int j = 0; j < half; j++) {
                float a = p * f[j];
                out[r * d + j] = (float) Math.sin(a);
                out[r * d + half + j] = (float) Math.cos(a);
            }
        }
        return out;
    }
}
