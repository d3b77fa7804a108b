package org.sonarllm.onnx.graph;

import java.util.List;
import org.sonarllm.model.SonarConfig;

/**
 * Builds {@code encoder.onnx}: {@code input_ids, attention_mask [batch, seq] int64 ->
 * sentence_embedding [batch, d] float}. M2M100 encoder (pre-LN, ReLU FFN, sinusoidal positions
 * counted over non-pad tokens) followed by SONAR's masked mean pooling, all inside the graph.
 *
 * <p>Weights by their M2M100Encoder keys ({@code embed_tokens.weight}, {@code layers.N.*}, {@code
 * layer_norm.*}), linear weights {@code [out, in]} as stored.
 *
 * <pre>{@code
 * try (SafeTensors w = SafeTensors.open(bundle.resolve("encoder.safetensors"))) {
 *     SonarEncoderGraph.build(dims, true, GraphWeights.external(w)).write(bundle.resolve("encoder.onnx"));
 * }
 * }</pre>
 */
public final class SonarEncoderGraph {
    /** Input token ids. */
    public static final String INPUT_IDS = "input_ids";
    /** Input mask, 1 for tokens and 0 for padding. */
    public static final String ATTENTION_MASK = "attention_mask";
    /** Output: pooled sentence embeddings. */
    public static final String OUTPUT = "sentence_embedding";
    /** LayerNorm epsilon (torch default; M2M100 does not configure it). */
    public static final float LN_EPS = 1e-5f;

    private SonarEncoderGraph() {}

    /**
     * @param dims the shape (its encoder side is used)
     * @param scaleEmbedding whether token embeddings are multiplied by sqrt(d) (M2M100's {@code scale_embedding})
     * @param w the encoder weights
     * @return the graph, ready to write
     */
    public static OnnxGraphBuilder build(SonarConfig dims, boolean scaleEmbedding, GraphWeights w) {
        int d = dims.model();
        int h = dims.encoderHeads();
        int dh = d / h;
        OnnxGraphBuilder g = new OnnxGraphBuilder("sonar_encoder");
        g.doc("SONAR text encoder (M2M100 encoder + masked mean pooling), written by sonarllm-java");
        NnBlocks nn = new NnBlocks(g, NnBlocks.Style.ORT, w);
        String ids = g.input(INPUT_IDS, ElemType.INT64, Dim.dyn("batch"), Dim.dyn("seq"));
        String mask = g.input(ATTENTION_MASK, ElemType.INT64, Dim.dyn("batch"), Dim.dyn("seq"));

        String maskF = g.node("Cast", List.of(mask), Attr.i("to", ElemType.FLOAT.code()));
        String maskF3 = g.node("Unsqueeze", List.of(maskF, g.constLongs(-1)));
        // positions = cumsum(mask) * mask + pad_id; pad rows of the sinusoid table are zero
        String cum = g.node("CumSum", List.of(mask, g.scalarLong(1)));
        String pos = g.node("Add", List.of(g.node("Mul", List.of(cum, mask)), g.scalarLong(SonarConfig.PAD)));
        String posEmb = g.node("Mul", List.of(nn.sinusoid(pos, d), maskF3));

        String emb = nn.embedding("embed_tokens.weight", ids, dims.vocab(), d);
        String x = g.node("Add", List.of(g.node("Mul", List.of(emb, g.scalar(embedScale(d, scaleEmbedding)))), posEmb));

        // additive key mask [b, 1, 1, s]: 0 for tokens, -1e9 for padding
        String keyMask = g.node("Mul", List.of(g.node("Sub", List.of(g.scalar(1f), maskF)), g.scalar(-1e9f)));
        keyMask = g.node("Unsqueeze", List.of(keyMask, g.constLongs(1, 2)));

        for (int l = 0; l < dims.encoderLayers(); l++) {
            String p = "layers." + l + ".";
            String[] qkv = nn.m2m100Qkv(x, p, d, dh);
            String ctx = nn.attention(nn.splitHeads(qkv[0], h, dh), nn.splitHeads(qkv[1], h, dh),
                    nn.splitHeads(qkv[2], h, dh), keyMask);
            String o = nn.linear(nn.mergeHeads(ctx, d), p + "self_attn.out_proj.", d, d);
            x = g.node("Add", List.of(x, o));
            x = nn.m2m100Ffn(x, p, d, dims.encoderFfn());
        }
        x = nn.layerNorm(x, "layer_norm.", d, LN_EPS);
        // SONAR static mean pooling over non-pad positions
        String sum = g.node("ReduceSum", List.of(g.node("Mul", List.of(x, maskF3)), g.constLongs(1)),
                Attr.i("keepdims", 0));
        String count = g.node("ReduceSum", List.of(maskF, g.constLongs(1)), Attr.i("keepdims", 1));
        String pooled = g.node("Div", List.of(sum, g.node("Add", List.of(count, g.scalar(1e-7f)))));
        g.output(pooled, OUTPUT, ElemType.FLOAT, Dim.dyn("batch"), Dim.of(d));
        return g;
    }

    /** @param d the width @param scale M2M100's scale_embedding @return sqrt(d), or 1 */
    static float embedScale(int d, boolean scale) {
        return scale ? (float) Math.sqrt(d) : 1f;
    }
}
