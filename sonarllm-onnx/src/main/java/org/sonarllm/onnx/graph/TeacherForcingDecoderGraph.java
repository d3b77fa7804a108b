package org.sonarllm.onnx.graph;

import java.util.List;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.weights.M2M100Weights;

/**
 * Builds the teacher-forcing SONAR decoder graph for training: {@code decoder_input_ids [b, t]}
 * int64 and {@code embedding [b, d]} float -> {@code logits [b, t, vocab]}. It uses only ops that
 * ND4J's samediff-import-onnx (1.0.0-M2.1) imports: no LayerNormalization (ReduceMean/Sub/Mul/Add/
 * Sqrt/Div instead), no Pow, Trilu, Split, Where, ConstantOfShape; linear layers are Gemm(transB=1)
 * on rank-2 {@code [b*t, d]} hidden states; every node is named after its output.
 *
 * <p>Weights by the same keys as {@link SonarDecoderGraph}'s. In a bundle they are graph inputs
 * ({@link GraphWeights#inputs}) named by their keys with full static shapes: ND4J's importer reads only
 * inline initializers (never external data) and a protobuf message cannot exceed 2 GB, so the training
 * side imports the graph and then sets each of those placeholders from {@code decoder.safetensors}.
 *
 * <p>Sequence-length modes:
 * <ul>
 *   <li>position input ({@link #buildWithPositionInput}): what bundles hold;
 *   <li>dynamic ({@link #build(SonarConfig, boolean, GraphWeights)}): positions from CumSum of ones, causal mask from
 *       Greater on positions, reshape shapes from Shape(decoder_input_ids) + Concat;
 *   <li>fixed ({@link #build(SonarConfig, boolean, GraphWeights, int)}): the position rows and the causal mask are constant
 *       initializers and every reshape shape is constant ({@code t} must equal the given length;
 *       pad shorter rows with {@code <pad>} at the end, which the causal mask keeps from affecting
 *       real positions). Use it if an importer rejects the dynamic ops.
 * </ul>
 *
 * <pre>{@code
 * try (SafeTensors w = SafeTensors.open(bundle.resolve("decoder.safetensors"))) {
 *     TeacherForcingDecoderGraph.buildWithPositionInput(dims, true, GraphWeights.inputs(w))
 *             .write(bundle.resolve("decoder_training.onnx"));
 *     TeacherForcingDecoderGraph.build(dims, true, GraphWeights.inline(w), 64).write(Path.of("t64.onnx"));
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

    /**
     * @param dims the shape @param scaleEmbedding M2M100's scale_embedding @param w the decoder weights
     * @return the graph with a dynamic sequence length
     */
    public static OnnxGraphBuilder build(SonarConfig dims, boolean scaleEmbedding, GraphWeights w) {
        return build(dims, scaleEmbedding, w, 0);
    }

    /**
     * Dynamic-length variant without CumSum: positions come from the extra int64 input
     * {@link #POSITION_IDS} {@code [b, t]} (values {@code padding_idx + 1 + p}), which also drives the
     * causal mask. This is the form ND4J's importer runs (it fails executing CumSum on int64).
     *
     * @param dims the shape @param scaleEmbedding M2M100's scale_embedding @param w the decoder weights
     * @return the graph
     */
    public static OnnxGraphBuilder buildWithPositionInput(SonarConfig dims, boolean scaleEmbedding, GraphWeights w) {
        return build(dims, scaleEmbedding, w, -1);
    }

    /**
     * @param dims the shape (its decoder side is used)
     * @param scaleEmbedding M2M100's scale_embedding
     * @param w the decoder weights
     * @param fixedLength the sequence length baked into the graph, 0 for dynamic, -1 for the position input
     * @return the graph
     */
    public static OnnxGraphBuilder build(SonarConfig dims, boolean scaleEmbedding, GraphWeights w, int fixedLength) {
        int d = dims.model();
        int h = dims.decoderHeads();
        int dh = d / h;
        int v = dims.vocab();
        int pad = SonarConfig.PAD;
        String pre = M2M100Weights.DECODER_PREFIX;
        boolean fixed = fixedLength > 0;
        boolean posInput = fixedLength < 0;
        if (fixed && fixedLength > dims.maxPositions()) {
            throw new IllegalArgumentException("fixed length " + fixedLength + " exceeds max_position_embeddings "
                    + dims.maxPositions());
        }
        OnnxGraphBuilder g = new OnnxGraphBuilder("sonar_decoder_training");
        g.doc("SONAR decoder, teacher forcing, ND4J-importable op set; written by sonarllm-java");
        if (posInput) {
            g.autoNamePrefix("n_"); // node names must differ from the op names SameDiff generates
        }
        NnBlocks nn = new NnBlocks(g, NnBlocks.Style.PORTABLE, w);
        String ids = g.input(INPUT_IDS, ElemType.INT64, Dim.dyn("batch"), fixed ? Dim.of(fixedLength) : Dim.dyn("seq"));
        String e = g.input(EMBEDDING, ElemType.FLOAT, Dim.dyn("batch"), Dim.of(d));
        String posIds = posInput ? g.input(POSITION_IDS, ElemType.INT64, Dim.dyn("batch"), Dim.dyn("seq")) : null;

        String table = nn.weight(pre + "embed_tokens.weight", v, d);
        String emb = g.node("Mul", List.of(g.node("Gather", List.of(table, ids), Attr.i("axis", 0)),
                g.scalar(SonarEncoderGraph.embedScale(d, scaleEmbedding))));
        String pos;
        String mask;
        String shapeBtd;
        String shapeBthd;
        String shapeBtv;
        if (fixed) {
            pos = g.initializer("positions", positionRows(pad + 1, fixedLength, d), fixedLength, d);
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
                int rows = dims.maxPositions() + pad + 1;
                String posTable = g.initializer("position_table", positionRows(0, rows, d), rows, d);
                pos = g.node("Gather", List.of(posTable, posIds), Attr.i("axis", 0));
                step = posIds;
            } else {
                // positions 1..t per row from a cumulative sum of ones (no Shape -> ConstantOfShape)
                String ones = g.node("Add", List.of(g.node("Mul", List.of(ids, g.scalarLong(0))), g.scalarLong(1)));
                step = g.node("CumSum", List.of(ones, g.scalarLong(1)));
                int rows = dims.maxPositions();
                String posTable = g.initializer("position_table", positionRows(pad + 1, rows, d), rows, d);
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
        for (int l = 0; l < dims.decoderLayers(); l++) {
            String p = pre + "layers." + l + ".";
            String[] qkv = nn.m2m100Qkv(x, p, d, dh);
            String q = heads(g, qkv[0], shapeBthd);
            String k = heads(g, qkv[1], shapeBthd);
            String val = heads(g, qkv[2], shapeBthd);
            String ctx = nn.attention(q, k, val, mask);
            String merged = g.node("Reshape", List.of(g.node("Transpose", List.of(ctx), Attr.ints("perm", 0, 2, 1, 3)),
                    flatD));
            String o = nn.linear(merged, p + "self_attn.out_proj.", d, d);
            x = g.node("Add", List.of(x, o));
            // cross-attention over one vector: out_proj(v_proj(e)), the same for every position
            String c = nn.m2m100Cross(e, p, d);
            String x3 = g.node("Reshape", List.of(x, shapeBtd));
            String c3 = g.node("Reshape", List.of(c, g.constLongs(-1, 1, d)));
            x = g.node("Reshape", List.of(g.node("Add", List.of(x3, c3)), flatD));
            x = nn.m2m100Ffn(x, p, d, dims.decoderFfn());
        }
        x = nn.layerNorm(x, pre + "layer_norm.", d, SonarEncoderGraph.LN_EPS);
        String head = SonarDecoderGraph.outputTable(nn, w, table, dims);
        String logits2 = g.node("Gemm", List.of(x, head), Attr.i("transB", 1));
        g.node("Reshape", LOGITS, List.of(logits2, shapeBtv));
        g.output(LOGITS, ElemType.FLOAT, Dim.dyn("batch"), fixed ? Dim.of(fixedLength) : Dim.dyn("seq"), Dim.of(v));
        return g;
    }

    private static String heads(OnnxGraphBuilder g, String x2, String shapeBthd) {
        return g.node("Transpose", List.of(g.node("Reshape", List.of(x2, shapeBthd))), Attr.ints("perm", 0, 2, 1, 3));
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
