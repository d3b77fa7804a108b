package org.sonarllm.onnx.graph;

import java.util.ArrayList;
import java.util.List;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.weights.M2M100Weights;

/**
 * Builds the two generation graphs of the SONAR decoder.
 *
 * <p>{@code decoder_cross.onnx}: {@code embedding [batch, d] -> cross [batch, layers, d]}. The
 * decoder's cross-attention attends to a single vector, so its softmax is identically 1 and the
 * whole sub-layer is the linear map {@code out_proj(v_proj(e))}, independent of the position:
 * computed once per sentence here.
 *
 * <p>{@code decoder.onnx}, one incremental step with a self-attention cache that the runtime keeps in
 * place ({@code com.microsoft.GroupQueryAttention} reads each layer's cache buffer as past and writes the
 * new positions into the same buffer, bound as its present output):
 *
 * <ul>
 *   <li>inputs {@code input_ids [batch, new]} int64 (new tokens), {@code cross [sentences, layers, d]}
 *       (every sentence's rows of {@code decoder_cross}), {@code row_sentence [batch]} int64 (the sentence of
 *       each row), {@code seqlens_k [batch]} int32 (positions written after this step minus one), {@code
 *       total_length} int32 scalar (positions written after this step), {@code top_k [1]} int64, {@code
 *       score_ids [batch, new]} int64, and per layer {@code past_key_L, past_value_L [batch, heads, length,
 *       cache_head_dim]} (the cache buffer: {@code length} reserved positions, the head size rounded up to a
 *       multiple of 8 ({@link #cacheHeadDim}), padded with zeros inside the graph);
 *   <li>outputs {@code logits [batch, new, vocab]}, {@code log_probs} (their log-softmax), {@code
 *       top_log_probs, top_ids [batch, new, top_k]} (TopK of the log-probabilities, best first, lower id
 *       first on ties), {@code score_log_probs [batch, new]} (the log-probability of {@code score_ids}) and
 *       {@code present_key_L, present_value_L}, the cache buffers with the new positions written.
 * </ul>
 *
 * Positions are {@code total_length - new + i + pad_id + 1}; new tokens attend causally to the cached
 * positions and to each other. Bundles converted before this graph have {@code cache_index} instead and
 * return the concatenated cache; the runtime runs both.
 *
 * <p>Weights by their M2M100ForConditionalGeneration keys ({@code model.decoder.embed_tokens.weight},
 * {@code model.decoder.layers.N.*}, {@code model.decoder.layer_norm.*}, and {@code lm_head.weight} only
 * when it differs from the embedding), linear weights {@code [out, in]} as stored; both graphs can share
 * one weights file.
 *
 * <pre>{@code
 * try (SafeTensors w = SafeTensors.open(out.resolve("decoder.safetensors"))) {
 *     SonarDecoderGraph.buildCross(dims, GraphWeights.external(w)).write(out.resolve("decoder_cross.onnx"));
 *     SonarDecoderGraph.buildIncremental(dims, true, GraphWeights.external(w)).write(out.resolve("decoder.onnx"));
 * }
 * }</pre>
 */
public final class SonarDecoderGraph {
    /** Cross graph input. */
    public static final String EMBEDDING = "embedding";
    /** Cross graph output / decoder input. */
    public static final String CROSS = "cross";
    /** New token ids. */
    public static final String INPUT_IDS = "input_ids";
    /** Which past row each batch row continues (graphs with the concatenated cache, before the in-place one). */
    public static final String CACHE_INDEX = "cache_index";
    /** The sentence (row of {@link #CROSS}) of each batch row. */
    public static final String ROW_SENTENCE = "row_sentence";
    /** Per row, the positions written after this step minus one (int32; the attention's {@code seqlens_k}). */
    public static final String SEQLENS_K = "seqlens_k";
    /** Positions written after this step (int32 scalar). */
    public static final String TOTAL_LENGTH = "total_length";
    /** How many candidates per position ({@code [1]} int64). */
    public static final String TOP_K = "top_k";
    /** Per position, the token whose log-probability {@link #SCORE_LOG_PROBS} reports. */
    public static final String SCORE_IDS = "score_ids";
    /** Output: the {@link #TOP_K} largest log-probabilities per position, best first. */
    public static final String TOP_LOG_PROBS = "top_log_probs";
    /** Output: their token ids (on equal values the lower id first). */
    public static final String TOP_IDS = "top_ids";
    /** Output: the log-probability of the {@link #SCORE_IDS} token per position. */
    public static final String SCORE_LOG_PROBS = "score_log_probs";
    /** Output logits. */
    public static final String LOGITS = "logits";
    /** Output log-softmax of the logits (what the searches read). */
    public static final String LOG_PROBS = "log_probs";

    private SonarDecoderGraph() {}

    /** @param l layer @return past key input name */
    public static String pastKey(int l) {
        return "past_key_" + l;
    }

    /** @param l layer @return past value input name */
    public static String pastValue(int l) {
        return "past_value_" + l;
    }

    /** @param l layer @return present key output name */
    public static String presentKey(int l) {
        return "present_key_" + l;
    }

    /** @param l layer @return present value output name */
    public static String presentValue(int l) {
        return "present_value_" + l;
    }

    /**
     * @param dims the shape (its decoder side is used)
     * @param w the decoder weights
     * @return the cross-term graph
     */
    public static OnnxGraphBuilder buildCross(SonarConfig dims, GraphWeights w) {
        int d = dims.model();
        OnnxGraphBuilder g = new OnnxGraphBuilder("sonar_decoder_cross");
        g.doc("SONAR decoder cross-attention terms out_proj(v_proj(e)) per layer, written by sonarllm-java");
        NnBlocks nn = new NnBlocks(g, NnBlocks.Style.ORT, w);
        String e = g.input(EMBEDDING, ElemType.FLOAT, Dim.dyn("batch"), Dim.of(d));
        List<String> terms = new ArrayList<>();
        for (int l = 0; l < dims.decoderLayers(); l++) {
            String o = nn.m2m100Cross(e, M2M100Weights.DECODER_PREFIX + "layers." + l + ".", d);
            terms.add(g.node("Unsqueeze", List.of(o, g.constLongs(1))));
        }
        String cross = terms.size() == 1 ? terms.get(0) : g.node("Concat", terms, Attr.i("axis", 1));
        g.output(cross, CROSS, ElemType.FLOAT, Dim.dyn("batch"), Dim.of(dims.decoderLayers()), Dim.of(d));
        // the q/k projections of the cross-attention are provably unused: nothing else to emit
        return g;
    }

    /**
     * @param dims the shape (its decoder side is used)
     * @param scaleEmbedding whether token embeddings are multiplied by sqrt(d)
     * @param w the decoder weights
     * @return the incremental decoder graph (in-place cache, candidates in the graph)
     */
    public static OnnxGraphBuilder buildIncremental(SonarConfig dims, boolean scaleEmbedding, GraphWeights w) {
        int d = dims.model();
        int h = dims.decoderHeads();
        int dh = d / h;
        int dc = cacheHeadDim(dh);
        int layers = dims.decoderLayers();
        String pre = M2M100Weights.DECODER_PREFIX;
        OnnxGraphBuilder g = new OnnxGraphBuilder("sonar_decoder");
        g.doc("SONAR text decoder step with an in-place self-attention cache, written by sonarllm-java");
        g.domain(NnBlocks.MS_DOMAIN, 1);
        NnBlocks nn = new NnBlocks(g, NnBlocks.Style.ORT, w);
        String ids = g.input(INPUT_IDS, ElemType.INT64, Dim.dyn("batch"), Dim.dyn("new"));
        String cross = g.input(CROSS, ElemType.FLOAT, Dim.dyn("sentences"), Dim.of(layers), Dim.of(d));
        String rowSentence = g.input(ROW_SENTENCE, ElemType.INT64, Dim.dyn("batch"));
        String seqlens = g.input(SEQLENS_K, ElemType.INT32, Dim.dyn("batch"));
        String totalLen = g.input(TOTAL_LENGTH, ElemType.INT32);
        String topK = g.input(TOP_K, ElemType.INT64, Dim.of(1));
        String scoreIds = g.input(SCORE_IDS, ElemType.INT64, Dim.dyn("batch"), Dim.dyn("new"));
        for (int l = 0; l < layers; l++) {
            g.input(pastKey(l), ElemType.FLOAT, Dim.dyn("batch"), Dim.of(h), Dim.dyn("length"), Dim.of(dc));
            g.input(pastValue(l), ElemType.FLOAT, Dim.dyn("batch"), Dim.of(h), Dim.dyn("length"), Dim.of(dc));
        }
        String nNew = g.node("Squeeze", List.of(g.node("Shape", List.of(ids), Attr.i("start", 1), Attr.i("end", 2)),
                g.constLongs(0)));
        String total = g.node("Cast", List.of(totalLen), Attr.i("to", ElemType.INT64.code()));
        String past = g.node("Sub", List.of(total, nNew));
        String qPos = g.node("Range", List.of(past, total, g.scalarLong(1)));
        String posEmb = nn.sinusoid(g.node("Add", List.of(qPos, g.scalarLong(SonarConfig.PAD + 1L))), d);
        String emb = nn.embedding(pre + "embed_tokens.weight", ids, dims.vocab(), d);
        String x = g.node("Add", List.of(g.node("Mul", List.of(emb, g.scalar(SonarEncoderGraph.embedScale(d,
                scaleEmbedding)))), posEmb));
        String crossRows = g.node("Gather", List.of(cross, rowSentence), Attr.i("axis", 0));
        for (int l = 0; l < layers; l++) {
            String p = pre + "layers." + l + ".";
            String[] qkv = nn.m2m100Qkv(x, p, d, dh);
            String[] padded = new String[3];
            for (int i = 0; i < 3; i++) {
                padded[i] = padHeads(g, qkv[i], h, dh, dc);
            }
            List<String> att = List.of(padded[0], padded[1], padded[2], pastKey(l), pastValue(l), seqlens, totalLen);
            String ctx = g.nodeNamed(NnBlocks.MS_DOMAIN, "GroupQueryAttention", att,
                    List.of(g.uniqueName("attention"), presentKey(l), presentValue(l)), Attr.i("num_heads", h),
                    Attr.i("kv_num_heads", h), Attr.f("scale", 1f)).get(0);
            String o = nn.linear(unpadHeads(g, ctx, h, dh, dc), p + "self_attn.out_proj.", d, d);
            x = g.node("Add", List.of(x, o));
            String c = g.node("Gather", List.of(crossRows, g.scalarLong(l)), Attr.i("axis", 1));
            x = g.node("Add", List.of(x, g.node("Unsqueeze", List.of(c, g.constLongs(1)))));
            x = nn.m2m100Ffn(x, p, d, dims.decoderFfn());
        }
        x = nn.layerNorm(x, pre + "layer_norm.", d, SonarEncoderGraph.LN_EPS);
        String logits = logits(g, nn, x, w, dims, ids);
        g.output(logits, LOGITS, ElemType.FLOAT, Dim.dyn("batch"), Dim.dyn("new"), Dim.of(dims.vocab()));
        g.node("LogSoftmax", LOG_PROBS, List.of(LOGITS), Attr.i("axis", -1));
        g.output(LOG_PROBS, ElemType.FLOAT, Dim.dyn("batch"), Dim.dyn("new"), Dim.of(dims.vocab()));
        g.nodeNamed("", "TopK", List.of(LOG_PROBS, topK), List.of(TOP_LOG_PROBS, TOP_IDS), Attr.i("axis", -1),
                Attr.i("largest", 1), Attr.i("sorted", 1));
        g.output(TOP_LOG_PROBS, ElemType.FLOAT, Dim.dyn("batch"), Dim.dyn("new"), Dim.dyn("k"));
        g.output(TOP_IDS, ElemType.INT64, Dim.dyn("batch"), Dim.dyn("new"), Dim.dyn("k"));
        String scored = g.node("GatherElements", List.of(LOG_PROBS, g.node("Unsqueeze", List.of(scoreIds,
                g.constLongs(-1)))), Attr.i("axis", -1));
        g.node("Squeeze", SCORE_LOG_PROBS, List.of(scored, g.constLongs(-1)));
        g.output(SCORE_LOG_PROBS, ElemType.FLOAT, Dim.dyn("batch"), Dim.dyn("new"));
        for (int l = 0; l < layers; l++) {
            g.output(presentKey(l), ElemType.FLOAT, Dim.dyn("batch"), Dim.of(h), Dim.dyn("length"), Dim.of(dc));
            g.output(presentValue(l), ElemType.FLOAT, Dim.dyn("batch"), Dim.of(h), Dim.dyn("length"), Dim.of(dc));
        }
        return g;
    }

    /** @param headDim a head size @return the cache's head size: the next multiple of 8 (what the attention kernel takes) */
    public static int cacheHeadDim(int headDim) {
        return (headDim + 7) / 8 * 8;
    }

    /** {@code [b, s, h * dh] -> [b, s, h * dc]}, each head zero-padded (exact: zeros add nothing to q.k, and the padded outputs are dropped). */
    private static String padHeads(OnnxGraphBuilder g, String x, int h, int dh, int dc) {
        if (dc == dh) {
            return x;
        }
        String r = g.node("Reshape", List.of(x, g.constLongs(0, 0, h, dh)));
        String p = g.node("Pad", List.of(r, g.constLongs(0, 0, 0, 0, 0, 0, 0, dc - dh)));
        return g.node("Reshape", List.of(p, g.constLongs(0, 0, (long) h * dc)));
    }

    private static String unpadHeads(OnnxGraphBuilder g, String x, int h, int dh, int dc) {
        if (dc == dh) {
            return x;
        }
        String r = g.node("Reshape", List.of(x, g.constLongs(0, 0, h, dc)));
        String s = g.node("Slice", List.of(r, g.constLongs(0), g.constLongs(dh), g.constLongs(3)));
        return g.node("Reshape", List.of(s, g.constLongs(0, 0, (long) h * dh)));
    }

    /**
     * The output table: {@code lm_head.weight} when the weights hold it (an untied head), else the embedding.
     *
     * @param nn the blocks @param w the weights @param table the embedding's value @param dims the shape
     * @return the value holding the {@code [vocab, d]} output projection
     */
    static String outputTable(NnBlocks nn, GraphWeights w, String table, SonarConfig dims) {
        return w.contains(M2M100Weights.LM_HEAD) ? nn.weight(M2M100Weights.LM_HEAD, dims.vocab(), dims.model()) : table;
    }

    /** logits = x @ head^T: Gemm(transB) on the stored [vocab, d] matrix (the embedding if tied), MatMulNBits if quantized. */
    private static String logits(OnnxGraphBuilder g, NnBlocks nn, String x, GraphWeights w, SonarConfig dims,
            String ids) {
        String headKey = w.contains(M2M100Weights.LM_HEAD) || w.quantizedBits(M2M100Weights.LM_HEAD) != 0
                ? M2M100Weights.LM_HEAD : M2M100Weights.DECODER_PREFIX + "embed_tokens.weight";
        String flat = g.node("Reshape", List.of(x, g.constLongs(-1, dims.model())));
        String y = w.quantizedBits(headKey) != 0 ? nn.quantizedMatMul(flat, headKey, dims.vocab(), dims.model())
                : g.node("Gemm", List.of(flat, nn.weight(headKey, dims.vocab(), dims.model())), Attr.i("transB", 1));
        String shape = g.node("Concat", List.of(g.node("Shape", List.of(ids)), g.constLongs(dims.vocab())),
                Attr.i("axis", 0));
        return g.node("Reshape", List.of(y, shape));
    }
}
