package org.sonarllm.onnx.graph;

import java.util.List;
import org.sonarllm.model.SonarConfig;

/**
 * Reusable transformer building blocks on top of an {@link OnnxGraphBuilder}, in two styles:
 *
 * <ul>
 *   <li>{@link Style#ORT}: for ONNX Runtime inference. Hidden states are rank 3 {@code [b, s, d]};
 *       linear layers are {@code com.microsoft} FusedMatMul with {@code transB=1} on the weight as
 *       stored, plus Add; LayerNorm is the fused LayerNormalization op.
 *   <li>{@link Style#PORTABLE}: only ops that ND4J's ONNX importer handles. Hidden states are rank 2
 *       {@code [b*s, d]}; linear layers are Gemm(transB=1) on the weight as stored; LayerNorm is
 *       ReduceMean/Sub/Mul/Add/Sqrt/Div.
 * </ul>
 *
 * <p>Weights are named by their checkpoint keys and come from {@link GraphWeights} as Hugging Face
 * stores them: {@code [out, in]} row-major float32, never transposed or rescaled, so one weights file
 * serves every graph (a Transpose of an initializer would be constant-folded by ONNX Runtime into a
 * second copy).
 *
 * <pre>{@code
 * NnBlocks nn = new NnBlocks(g, NnBlocks.Style.ORT, weights);
 * String h = nn.layerNorm(x, "layers.0.final_layer_norm.", d, 1e-5f);
 * String y = nn.linear(h, "layers.0.fc1.", ffn, d);
 * }</pre>
 */
final class NnBlocks {
    /** Operator domain of FusedMatMul. */
    static final String MS_DOMAIN = "com.microsoft";

    /** Graph style; see the class comment. */
    public enum Style {
        /** ONNX Runtime inference graphs. */
        ORT,
        /** Graphs for ND4J samediff-import-onnx. */
        PORTABLE
    }

    private final OnnxGraphBuilder g;
    private final Style style;
    private final GraphWeights w;

    /** @param g the builder @param style graph style @param w where the weights come from */
    public NnBlocks(OnnxGraphBuilder g, Style style, GraphWeights w) {
        this.g = g;
        this.style = style;
        this.w = w;
        if (style == Style.ORT) {
            g.domain(MS_DOMAIN, 1);
        }
    }

    /** @return the builder */
    public OnnxGraphBuilder graph() {
        return g;
    }

    /** @return the style */
    public Style style() {
        return style;
    }

    /** @param key a tensor key @param shape its shape @return the value holding that weight */
    String weight(String key, long... shape) {
        return w.tensor(g, key, shape);
    }

    /**
     * A linear layer {@code y = x W^T + b} on the weights {@code prefix + "weight"} {@code [out, in]} and
     * {@code prefix + "bias"} {@code [out]}.
     *
     * @param x rank-3 (ORT) or rank-2 (PORTABLE) input
     * @param prefix key prefix such as {@code layers.0.fc1.}
     * @param out output size @param in input size
     * @return the output value name
     */
    public String linear(String x, String prefix, int out, int in) {
        return linear(x, prefix + "weight", prefix + "bias", out, in);
    }

    /**
     * A linear layer with explicit keys.
     *
     * @param x input @param weightKey {@code [out, in]} weight @param biasKey {@code [out]} bias or null
     * @param out output size @param in input size @return output
     */
    public String linear(String x, String weightKey, String biasKey, int out, int in) {
        if (style == Style.ORT && w.quantizedBits(weightKey) != 0) {
            String y = quantizedMatMul(x, weightKey, out, in);
            return biasKey == null ? y : g.node("Add", List.of(y, weight(biasKey, out)));
        }
        String wt = weight(weightKey, out, in);
        String y = style == Style.ORT
                ? g.nodeIn(MS_DOMAIN, "FusedMatMul", List.of(x, wt), Attr.i("transB", 1))
                // bias as a separate Add: ND4J imports Gemm's C input into Mmul, which ignores it
                : g.node("Gemm", List.of(x, wt), Attr.i("transB", 1));
        return biasKey == null ? y : g.node("Add", List.of(y, weight(biasKey, out)));
    }

    /**
     * Accumulation of {@code MatMulNBits}: 4 = activations quantized to int8 per block and integer
     * dot products (AVX-512 VNNI / AVX2 here), the fast path the fidelity figures were measured with.
     */
    static final int ACCURACY_LEVEL = 4;

    /**
     * {@code x W^T} with {@code W [out, in]} block-quantized ({@code com.microsoft.MatMulNBits}).
     *
     * @param x input {@code [..., in]} @param key the weight's key @param out outputs @param in inputs
     * @return {@code [..., out]}
     */
    String quantizedMatMul(String x, String key, int out, int in) {
        int bits = w.quantizedBits(key);
        String codesKey = key + (bits == 8 ? GraphWeights.CODES8 : GraphWeights.CODES4);
        long[] cs = w.source().shape(codesKey);
        int blocks = (int) cs[1];
        int block = (int) cs[2] * 8 / bits;
        String codes = w.part(g, codesKey, codesKey, ElemType.UINT8, out, blocks, cs[2]);
        String scales = w.part(g, key + GraphWeights.SCALES, key + GraphWeights.SCALES + ".flat", ElemType.FLOAT,
                (long) out * blocks);
        long zCols = bits == 8 ? blocks : (blocks + 1) / 2;
        String zps = w.part(g, key + GraphWeights.ZERO_POINTS, key + GraphWeights.ZERO_POINTS + ".flat", ElemType.UINT8,
                out * zCols);
        return g.nodeIn(MS_DOMAIN, "MatMulNBits", List.of(x, codes, scales, zps), Attr.i("K", in), Attr.i("N", out),
                Attr.i("bits", bits), Attr.i("block_size", block), Attr.i("accuracy_level", ACCURACY_LEVEL));
    }

    /**
     * Rows of an embedding table, dequantized when the table is quantized ({@code
     * com.microsoft.GatherBlockQuantized}; blocks must tile a row exactly), else a Gather.
     *
     * @param key the table's key @param ids int64 ids @param rows table rows @param d row width
     * @return {@code ids.shape ++ [d]}
     */
    String embedding(String key, String ids, int rows, int d) {
        int bits = style == Style.ORT ? w.quantizedBits(key) : 0;
        if (bits == 0) {
            return g.node("Gather", List.of(weight(key, rows, d), ids), Attr.i("axis", 0));
        }
        String codesKey = key + (bits == 8 ? GraphWeights.CODES8 : GraphWeights.CODES4);
        long[] cs = w.source().shape(codesKey);
        int blocks = (int) cs[1];
        int block = (int) cs[2] * 8 / bits;
        if ((long) blocks * block != d) {
            throw new org.sonarllm.ModelFormatException("tensor '" + key + "': expected quantization blocks that tile "
                    + d + " columns, found " + blocks + " x " + block);
        }
        long zCols = bits == 8 ? blocks : (blocks + 1) / 2;
        String codes = w.part(g, codesKey, codesKey + ".rows", ElemType.UINT8, rows, (long) d * bits / 8);
        String scales = w.part(g, key + GraphWeights.SCALES, key + GraphWeights.SCALES, ElemType.FLOAT, rows, blocks);
        String zps = w.part(g, key + GraphWeights.ZERO_POINTS, key + GraphWeights.ZERO_POINTS, ElemType.UINT8, rows,
                zCols);
        return g.nodeIn(MS_DOMAIN, "GatherBlockQuantized", List.of(codes, ids, scales, zps), Attr.i("gather_axis", 0),
                Attr.i("quantize_axis", 1), Attr.i("block_size", block), Attr.i("bits", bits));
    }

    /**
     * LayerNorm over the last axis with {@code prefix + "weight"} and {@code prefix + "bias"}.
     *
     * @param x input @param prefix key prefix such as {@code layer_norm.} @param d width @param eps epsilon
     * @return output
     */
    public String layerNorm(String x, String prefix, int d, float eps) {
        String wt = weight(prefix + "weight", d);
        String b = weight(prefix + "bias", d);
        if (style == Style.ORT) {
            return g.node("LayerNormalization", List.of(x, wt, b), Attr.i("axis", -1), Attr.f("epsilon", eps));
        }
        String mean = g.node("ReduceMean", List.of(x), Attr.ints("axes", -1), Attr.i("keepdims", 1));
        String c = g.node("Sub", List.of(x, mean));
        String sq = g.node("Mul", List.of(c, c));
        String var = g.node("ReduceMean", List.of(sq), Attr.ints("axes", -1), Attr.i("keepdims", 1));
        String std = g.node("Sqrt", List.of(g.node("Add", List.of(var, g.scalar(eps)))));
        String n = g.node("Div", List.of(c, std));
        return g.node("Add", List.of(g.node("Mul", List.of(n, wt)), b));
    }

    /**
     * {@code [b, s, heads*headDim] -> [b, heads, s, headDim]} (rank-3 input; uses Reshape with 0 =
     * "copy this dimension").
     *
     * @param x input @param heads heads @param headDim head size @return output
     */
    public String splitHeads(String x, int heads, int headDim) {
        String r = g.node("Reshape", List.of(x, g.constLongs(0, 0, heads, headDim)));
        return g.node("Transpose", List.of(r), Attr.ints("perm", 0, 2, 1, 3));
    }

    /**
     * {@code [b, heads, s, headDim] -> [b, s, heads*headDim]}.
     *
     * @param x input @param dModel heads*headDim @return output
     */
    public String mergeHeads(String x, int dModel) {
        String t = g.node("Transpose", List.of(x), Attr.ints("perm", 0, 2, 1, 3));
        return g.node("Reshape", List.of(t, g.constLongs(0, 0, dModel)));
    }

    /**
     * Scaled dot-product attention on split heads; the scale must already be folded into q.
     *
     * @param q {@code [b, h, s, dh]} @param k {@code [b, h, t, dh]} @param v {@code [b, h, t, dh]}
     * @param additiveMask broadcastable to {@code [b, h, s, t]} (0 or a large negative), or null
     * @return {@code [b, h, s, dh]}
     */
    public String attention(String q, String k, String v, String additiveMask) {
        String kt = g.node("Transpose", List.of(k), Attr.ints("perm", 0, 1, 3, 2));
        String scores = g.node("MatMul", List.of(q, kt));
        if (additiveMask != null) {
            scores = g.node("Add", List.of(scores, additiveMask));
        }
        String p = g.node("Softmax", List.of(scores), Attr.i("axis", -1));
        return g.node("MatMul", List.of(p, v));
    }

    /**
     * The self-attention inputs of one M2M100 layer: the pre-LayerNorm, then the q (scaled by
     * {@code headDim^-0.5} after its projection), k and v projections, each {@code [.., d]} in this
     * builder's style.
     *
     * @param x the layer input @param p the layer's key prefix ({@code layers.N.} or {@code model.decoder.layers.N.})
     * @param d the width @param headDim the head size
     * @return the names of q, k and v
     */
    String[] m2m100Qkv(String x, String p, int d, int headDim) {
        String hN = layerNorm(x, p + "self_attn_layer_norm.", d, SonarEncoderGraph.LN_EPS);
        String q = g.node("Mul", List.of(linear(hN, p + "self_attn.q_proj.", d, d), g.scalar((float) Math.pow(headDim, -0.5))));
        String k = linear(hN, p + "self_attn.k_proj.", d, d);
        String v = linear(hN, p + "self_attn.v_proj.", d, d);
        return new String[] {q, k, v};
    }

    /**
     * The feed-forward sub-layer of one M2M100 layer with its residual: {@code x + fc2(relu(fc1(LN(x))))}.
     *
     * @param x the input @param p the layer's key prefix @param d the width @param ffn the inner size
     * @return the output
     */
    String m2m100Ffn(String x, String p, int d, int ffn) {
        String hN = layerNorm(x, p + "final_layer_norm.", d, SonarEncoderGraph.LN_EPS);
        String a = g.node("Relu", List.of(linear(hN, p + "fc1.", ffn, d)));
        return g.node("Add", List.of(x, linear(a, p + "fc2.", d, ffn)));
    }

    /**
     * The cross-attention sub-layer of an M2M100 decoder layer over a single sentence vector: its softmax
     * over one key is identically 1, so it is {@code out_proj(v_proj(e))}, the same at every position.
     *
     * @param e the sentence vectors {@code [b, d]} @param p the layer's key prefix @param d the width
     * @return {@code [b, d]}
     */
    String m2m100Cross(String e, String p, int d) {
        return linear(linear(e, p + "encoder_attn.v_proj.", d, d), p + "encoder_attn.out_proj.", d, d);
    }

    /**
     * {@link SonarConfig#sinusoidFrequencies} rounded to float32, as Hugging Face's M2M100 computes them.
     *
     * @param d embedding size (even) @return the d/2 frequencies
     */
    public static float[] sinusoidFrequencies(int d) {
        double[] f = SonarConfig.sinusoidFrequencies(d);
        float[] out = new float[f.length];
        for (int j = 0; j < f.length; j++) {
            out[j] = (float) f[j];
        }
        return out;
    }

    /**
     * Sinusoid embeddings for int64 positions computed inside the graph.
     *
     * @param positions int64 positions of any shape S @param d embedding size (even)
     * @return float {@code S ++ [d]}
     */
    public String sinusoid(String positions, int d) {
        String pf = g.node("Cast", List.of(positions), Attr.i("to", ElemType.FLOAT.code()));
        String pu = g.node("Unsqueeze", List.of(pf, g.constLongs(-1)));
        float[] f = sinusoidFrequencies(d);
        String ang = g.node("Mul", List.of(pu, g.initializer(g.uniqueName("sinusoid_freq"), f, f.length)));
        return g.node("Concat", List.of(g.node("Sin", List.of(ang)), g.node("Cos", List.of(ang))), Attr.i("axis", -1));
    }
}
