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
 * <p>{@code decoder.onnx}, one incremental step with a self-attention KV cache:
 *
 * <ul>
 *   <li>inputs {@code input_ids [batch, new]} int64 (new tokens), {@code cross [batch, layers, d]},
 *       {@code cache_index [batch]} int64 (row of the past cache each row continues: identity for
 *       greedy, the parent beam for beam search), and per layer {@code past_key_L, past_value_L
 *       [past_batch, heads, past, head_dim]} (past = 0 on the first call);
 *   <li>outputs {@code logits [batch, new, vocab]}, {@code log_probs} (their log-softmax) and {@code present_key_L, present_value_L
 *       [batch, heads, past + new, head_dim]}.
 * </ul>
 *
 * Positions are {@code past + i + pad_id + 1}; new tokens attend causally to the past and to each
 * other.
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
    /** Which past row each batch row continues. */
    public static final String CACHE_INDEX = "cache_index";
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
     * @return the incremental decoder graph
     */
    public static OnnxGraphBuilder buildIncremental(SonarConfig dims, boolean scaleEmbedding, GraphWeights w) {
        int d = dims.model();
        int h = dims.decoderHeads();
        int dh = d / h;
        int layers = dims.decoderLayers();
        String pre = M2M100Weights.DECODER_PREFIX;
        OnnxGraphBuilder g = new OnnxGraphBuilder("sonar_decoder");
        g.doc("SONAR text decoder step with self-attention KV cache, written by sonarllm-java");
        NnBlocks nn = new NnBlocks(g, NnBlocks.Style.ORT, w);
        String ids = g.input(INPUT_IDS, ElemType.INT64, Dim.dyn("batch"), Dim.dyn("new"));
        String cross = g.input(CROSS, ElemType.FLOAT, Dim.dyn("batch"), Dim.of(layers), Dim.of(d));
        String cacheIndex = g.input(CACHE_INDEX, ElemType.INT64, Dim.dyn("batch"));
        for (int l = 0; l < layers; l++) {
            g.input(pastKey(l), ElemType.FLOAT, Dim.dyn("past_batch"), Dim.of(h), Dim.dyn("past"), Dim.of(dh));
            g.input(pastValue(l), ElemType.FLOAT, Dim.dyn("past_batch"), Dim.of(h), Dim.dyn("past"), Dim.of(dh));
        }
        // scalar past length and total length
        String past = g.node("Squeeze", List.of(g.node("Shape", List.of(pastKey(0)), Attr.i("start", 2), Attr.i("end", 3)),
                g.constLongs(0)));
        String nNew = g.node("Squeeze", List.of(g.node("Shape", List.of(ids), Attr.i("start", 1), Attr.i("end", 2)),
                g.constLongs(0)));
        String total = g.node("Add", List.of(past, nNew));
        String one = g.scalarLong(1);
        String qPos = g.node("Range", List.of(past, total, one));
        String kPos = g.node("Range", List.of(g.scalarLong(0), total, one));
        // causal additive mask [new, total]: -1e9 where key position > query position
        String future = g.node("Greater", List.of(g.node("Unsqueeze", List.of(kPos, g.constLongs(0))),
                g.node("Unsqueeze", List.of(qPos, g.constLongs(1)))));
        String mask = g.node("Where", List.of(future, g.scalar(-1e9f), g.scalar(0f)));

        String posEmb = nn.sinusoid(g.node("Add", List.of(qPos, g.scalarLong(SonarConfig.PAD + 1L))), d);
        String table = nn.weight(pre + "embed_tokens.weight", dims.vocab(), d);
        String emb = g.node("Gather", List.of(table, ids), Attr.i("axis", 0));
        String x = g.node("Add", List.of(g.node("Mul", List.of(emb, g.scalar(SonarEncoderGraph.embedScale(d,
                scaleEmbedding)))), posEmb));

        for (int l = 0; l < layers; l++) {
            String p = pre + "layers." + l + ".";
            String[] qkv = nn.m2m100Qkv(x, p, d, dh);
            String q = qkv[0];
            String k = qkv[1];
            String v = qkv[2];
            String pk = g.node("Gather", List.of(pastKey(l), cacheIndex), Attr.i("axis", 0));
            String pv = g.node("Gather", List.of(pastValue(l), cacheIndex), Attr.i("axis", 0));
            String kAll = g.node("Concat", presentKey(l), List.of(pk, nn.splitHeads(k, h, dh)), Attr.i("axis", 2));
            String vAll = g.node("Concat", presentValue(l), List.of(pv, nn.splitHeads(v, h, dh)), Attr.i("axis", 2));
            String ctx = nn.attention(nn.splitHeads(q, h, dh), kAll, vAll, mask);
            String o = nn.linear(nn.mergeHeads(ctx, d), p + "self_attn.out_proj.", d, d);
            x = g.node("Add", List.of(x, o));
            // cross-attention over one vector == a per-sentence constant added to every position
            String c = g.node("Gather", List.of(cross, g.scalarLong(l)), Attr.i("axis", 1));
            x = g.node("Add", List.of(x, g.node("Unsqueeze", List.of(c, g.constLongs(1)))));
            x = nn.m2m100Ffn(x, p, d, dims.decoderFfn());
        }
        x = nn.layerNorm(x, pre + "layer_norm.", d, SonarEncoderGraph.LN_EPS);
        String logits = logits(g, nn, x, w, table, dims, ids);
        g.output(logits, LOGITS, ElemType.FLOAT, Dim.dyn("batch"), Dim.dyn("new"), Dim.of(dims.vocab()));
        g.node("LogSoftmax", LOG_PROBS, List.of(LOGITS), Attr.i("axis", -1));
        g.output(LOG_PROBS, ElemType.FLOAT, Dim.dyn("batch"), Dim.dyn("new"), Dim.of(dims.vocab()));
        for (int l = 0; l < layers; l++) {
            g.output(presentKey(l), ElemType.FLOAT, Dim.dyn("batch"), Dim.of(h), Dim.dyn("total"), Dim.of(dh));
            g.output(presentValue(l), ElemType.FLOAT, Dim.dyn("batch"), Dim.of(h), Dim.dyn("total"), Dim.of(dh));
        }
        return g;
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

    /** logits = x @ head^T via Gemm(transB) on the stored [vocab, d] matrix (the embedding if tied). */
    private static String logits(OnnxGraphBuilder g, NnBlocks nn, String x, GraphWeights w, String table, SonarConfig dims,
            String ids) {
        String head = outputTable(nn, w, table, dims);
        String flat = g.node("Reshape", List.of(x, g.constLongs(-1, dims.model())));
        String y = g.node("Gemm", List.of(flat, head), Attr.i("transB", 1));
        String shape = g.node("Concat", List.of(g.node("Shape", List.of(ids)), g.constLongs(dims.vocab())),
                Attr.i("axis", 0));
        return g.node("Reshape", List.of(y, shape));
    }
}
