package org.sonarllm.onnx.graph;

import java.util.ArrayList;
import java.util.List;
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
 * <pre>{@code
 * try (M2M100Weights w = M2M100Weights.open(dir, M2M100Weights.Side.DECODER)) {
 *     SonarDecoderGraph.buildCross(w).write(out.resolve("decoder_cross.onnx"));
 *     SonarDecoderGraph.buildIncremental(w).write(out.resolve("decoder.onnx"));
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
     * @param w decoder weights
     * @return the cross-term graph
     */
    public static OnnxGraphBuilder buildCross(M2M100Weights w) {
        int d = w.dModel();
        OnnxGraphBuilder g = new OnnxGraphBuilder("sonar_decoder_cross");
        g.doc("SONAR decoder cross-attention terms out_proj(v_proj(e)) per layer, written by sonarllm-java");
        NnBlocks nn = new NnBlocks(g, NnBlocks.Style.ORT);
        String e = g.input(EMBEDDING, ElemType.FLOAT, Dim.dyn("batch"), Dim.of(d));
        List<String> terms = new ArrayList<>();
        for (int l = 0; l < w.layers(); l++) {
            String p = "layers." + l + ".encoder_attn.";
            String v = nn.linear(e, w.tensor(p + "v_proj.weight", d, d), w.tensor(p + "v_proj.bias", d), d, d, p + "v_proj");
            String o = nn.linear(v, w.tensor(p + "out_proj.weight", d, d), w.tensor(p + "out_proj.bias", d), d, d,
                    p + "out_proj");
            terms.add(g.node("Unsqueeze", List.of(o, g.constLongs(1))));
        }
        String cross = terms.size() == 1 ? terms.get(0) : g.node("Concat", terms, Attr.i("axis", 1));
        g.output(cross, CROSS, ElemType.FLOAT, Dim.dyn("batch"), Dim.of(w.layers()), Dim.of(d));
        // the q/k projections of the cross-attention are provably unused: nothing else to emit
        return g;
    }

    /**
     * @param w decoder weights
     * @return the incremental decoder graph
     */
    public static OnnxGraphBuilder buildIncremental(M2M100Weights w) {
        int d = w.dModel();
        int h = w.heads();
        int dh = d / h;
        int layers = w.layers();
        OnnxGraphBuilder g = new OnnxGraphBuilder("sonar_decoder");
        g.doc("SONAR text decoder step with self-attention KV cache, written by sonarllm-java");
        NnBlocks nn = new NnBlocks(g, NnBlocks.Style.ORT);
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

        String posEmb = nn.sinusoid(g.node("Add", List.of(qPos, g.scalarLong(w.padId() + 1L))), d);
        String table = g.rawInitializer("embed_tokens", ElemType.FLOAT, w.embedTokens(), w.vocab(), d);
        String emb = g.node("Gather", List.of(table, ids), Attr.i("axis", 0));
        String x = g.node("Add", List.of(g.node("Mul", List.of(emb, g.scalar(w.embedScale()))), posEmb));

        for (int l = 0; l < layers; l++) {
            String p = "layers." + l + ".";
            String[] qkv = nn.m2m100Qkv(w, x, p, d, dh);
            String q = qkv[0];
            String k = qkv[1];
            String v = qkv[2];
            String pk = g.node("Gather", List.of(pastKey(l), cacheIndex), Attr.i("axis", 0));
            String pv = g.node("Gather", List.of(pastValue(l), cacheIndex), Attr.i("axis", 0));
            String kAll = g.node("Concat", presentKey(l), List.of(pk, nn.splitHeads(k, h, dh)), Attr.i("axis", 2));
            String vAll = g.node("Concat", presentValue(l), List.of(pv, nn.splitHeads(v, h, dh)), Attr.i("axis", 2));
            String ctx = nn.attention(nn.splitHeads(q, h, dh), kAll, vAll, mask);
            String o = nn.linear(nn.mergeHeads(ctx, d), w.tensor(p + "self_attn.out_proj.weight", d, d),
                    w.tensor(p + "self_attn.out_proj.bias", d), d, d, p + "out_proj");
            x = g.node("Add", List.of(x, o));
            // cross-attention over one vector == a per-sentence constant added to every position
            String c = g.node("Gather", List.of(cross, g.scalarLong(l)), Attr.i("axis", 1));
            x = g.node("Add", List.of(x, g.node("Unsqueeze", List.of(c, g.constLongs(1)))));
            x = SonarEncoderGraph.ffn(nn, w, x, p, d);
        }
        x = nn.layerNorm(x, w.tensor("layer_norm.weight", d), w.tensor("layer_norm.bias", d), SonarEncoderGraph.LN_EPS,
                "layer_norm");
        String logits = logits(g, x, w, table, d, ids);
        g.output(logits, LOGITS, ElemType.FLOAT, Dim.dyn("batch"), Dim.dyn("new"), Dim.of(w.vocab()));
        g.node("LogSoftmax", LOG_PROBS, List.of(LOGITS), Attr.i("axis", -1));
        g.output(LOG_PROBS, ElemType.FLOAT, Dim.dyn("batch"), Dim.dyn("new"), Dim.of(w.vocab()));
        for (int l = 0; l < layers; l++) {
            g.output(presentKey(l), ElemType.FLOAT, Dim.dyn("batch"), Dim.of(h), Dim.dyn("total"), Dim.of(dh));
            g.output(presentValue(l), ElemType.FLOAT, Dim.dyn("batch"), Dim.of(h), Dim.dyn("total"), Dim.of(dh));
        }
        return g;
    }

    /** logits = x @ lm_head^T via Gemm(transB) on the stored [vocab, d] matrix (shared with the embedding if tied). */
    private static String logits(OnnxGraphBuilder g, String x, M2M100Weights w, String table, int d, String ids) {
        String head = w.lmHeadTied() ? table
                : g.rawInitializer("lm_head", ElemType.FLOAT, w.lmHead(), w.vocab(), d);
        String flat = g.node("Reshape", List.of(x, g.constLongs(-1, d)));
        String y = g.node("Gemm", List.of(flat, head), Attr.i("transB", 1));
        String shape = g.node("Concat", List.of(g.node("Shape", List.of(ids)), g.constLongs(w.vocab())),
                Attr.i("axis", 0));
        return g.node("Reshape", List.of(y, shape));
    }
}
