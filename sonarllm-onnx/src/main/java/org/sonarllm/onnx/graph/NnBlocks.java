package org.sonarllm.onnx.graph;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.weights.M2M100Weights;

/**
 * Reusable transformer building blocks on top of an {@link OnnxGraphBuilder}, in two styles:
 *
 * <ul>
 *   <li>{@link Style#ORT}: for ONNX Runtime inference. Hidden states are rank 3 {@code [b, s, d]};
 *       linear layers are MatMul with a transposed weight copy plus Add; LayerNorm is the fused
 *       LayerNormalization op.
 *   <li>{@link Style#PORTABLE}: only ops that ND4J's ONNX importer handles. Hidden states are rank 2
 *       {@code [b*s, d]}; linear layers are Gemm(transB=1) on the weight as stored; LayerNorm is
 *       ReduceMean/Sub/Mul/Add/Sqrt/Div.
 * </ul>
 *
 * <p>Weights are given as Hugging Face stores them: {@code [out, in]} row-major float32.
 *
 * <pre>{@code
 * NnBlocks nn = new NnBlocks(g, NnBlocks.Style.ORT);
 * String h = nn.layerNorm(x, gamma, beta, 1e-5f, "ln1");
 * String y = nn.linear(h, weight, bias, out, in, "fc1");
 * }</pre>
 */
final class NnBlocks {
    /** Graph style; see the class comment. */
    public enum Style {
        /** ONNX Runtime inference graphs. */
        ORT,
        /** Graphs for ND4J samediff-import-onnx. */
        PORTABLE
    }

    private final OnnxGraphBuilder g;
    private final Style style;

    /** @param g the builder @param style graph style */
    public NnBlocks(OnnxGraphBuilder g, Style style) {
        this.g = g;
        this.style = style;
    }

    /** @return the builder */
    public OnnxGraphBuilder graph() {
        return g;
    }

    /** @return the style */
    public Style style() {
        return style;
    }

    /**
     * @param src little-endian float32 bytes of a row-major {@code [rows, cols]} matrix
     * @param rows rows @param cols cols
     * @return the transposed matrix {@code [cols, rows]} as little-endian bytes
     */
    public static ByteBuffer transpose(ByteBuffer src, int rows, int cols) {
        FloatBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        ByteBuffer out = ByteBuffer.allocate(Math.multiplyExact(Math.multiplyExact(rows, cols), 4))
                .order(ByteOrder.LITTLE_ENDIAN);
        FloatBuffer o = out.asFloatBuffer();
        final int tile = 64;
        for (int r0 = 0; r0 < rows; r0 += tile) {
            for (int c0 = 0; c0 < cols; c0 += tile) {
                int r1 = Math.min(rows, r0 + tile);
                int c1 = Math.min(cols, c0 + tile);
                for (int r = r0; r < r1; r++) {
                    for (int c = c0; c < c1; c++) {
                        o.put(c * rows + r, in.get(r * cols + c));
                    }
                }
            }
        }
        return out;
    }

    /**
     * Adds a weight initializer in the layout the style's linear layer reads.
     *
     * @param weight float32 little-endian {@code [out, in]} @param out rows @param in cols
     * @param name initializer name
     * @return the initializer name ({@code [in, out]} for ORT, {@code [out, in]} for PORTABLE)
     */
    public String linearWeight(ByteBuffer weight, int out, int in, String name) {
        if (style == Style.ORT) {
            return g.rawInitializer(name, ElemType.FLOAT, transpose(weight, out, in), in, out);
        }
        return g.rawInitializer(name, ElemType.FLOAT, weight, out, in);
    }

    /**
     * A linear layer {@code y = x W^T + b}.
     *
     * @param x rank-3 (ORT) or rank-2 (PORTABLE) input
     * @param weight float32 little-endian {@code [out, in]} @param bias {@code [out]} or null
     * @param out output size @param in input size @param name prefix for initializer names
     * @return the output value name
     */
    public String linear(String x, ByteBuffer weight, ByteBuffer bias, int out, int in, String name) {
        String w = linearWeight(weight, out, in, name + ".weight");
        String b = bias == null ? null : g.rawInitializer(name + ".bias", ElemType.FLOAT, bias, out);
        return linearWith(x, w, b);
    }

    /**
     * A linear layer on initializers made by {@link #linearWeight}.
     *
     * @param x input @param w weight initializer @param b bias initializer or null @return output
     */
    public String linearWith(String x, String w, String b) {
        if (style == Style.ORT) {
            String y = g.node("MatMul", List.of(x, w));
            return b == null ? y : g.node("Add", List.of(y, b));
        }
        // bias as a separate Add: ND4J imports Gemm's C input into Mmul, which ignores it
        String y = g.node("Gemm", List.of(x, w), Attr.i("transB", 1));
        return b == null ? y : g.node("Add", List.of(y, b));
    }

    /**
     * LayerNorm over the last axis.
     *
     * @param x input @param gamma weight {@code [d]} @param beta bias {@code [d]} @param eps epsilon
     * @param name prefix for initializer names @return output
     */
    public String layerNorm(String x, ByteBuffer gamma, ByteBuffer beta, float eps, String name) {
        int d = gamma.remaining() / 4;
        String w = g.rawInitializer(name + ".weight", ElemType.FLOAT, gamma, d);
        String b = g.rawInitializer(name + ".bias", ElemType.FLOAT, beta, d);
        if (style == Style.ORT) {
            return g.node("LayerNormalization", List.of(x, w, b), Attr.i("axis", -1), Attr.f("epsilon", eps));
        }
        String mean = g.node("ReduceMean", List.of(x), Attr.ints("axes", -1), Attr.i("keepdims", 1));
        String c = g.node("Sub", List.of(x, mean));
        String sq = g.node("Mul", List.of(c, c));
        String var = g.node("ReduceMean", List.of(sq), Attr.ints("axes", -1), Attr.i("keepdims", 1));
        String std = g.node("Sqrt", List.of(g.node("Add", List.of(var, g.scalar(eps)))));
        String n = g.node("Div", List.of(c, std));
        return g.node("Add", List.of(g.node("Mul", List.of(n, w)), b));
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
     * The self-attention inputs of one M2M100 layer: the pre-LayerNorm, then the q (pre-scaled by
     * {@code headDim^-0.5}), k and v projections, each {@code [.., d]} in this builder's style.
     *
     * @param w the weights @param x the layer input @param p the layer's key prefix ({@code layers.N.})
     * @param d the width @param headDim the head size
     * @return the names of q, k and v
     */
    String[] m2m100Qkv(M2M100Weights w, String x, String p, int d, int headDim) {
        float scale = (float) Math.pow(headDim, -0.5);
        String hN = layerNorm(x, w.tensor(p + "self_attn_layer_norm.weight", d),
                w.tensor(p + "self_attn_layer_norm.bias", d), SonarEncoderGraph.LN_EPS, p + "self_attn_layer_norm");
        String q = linear(hN, scaled(w.tensor(p + "self_attn.q_proj.weight", d, d), scale),
                scaled(w.tensor(p + "self_attn.q_proj.bias", d), scale), d, d, p + "q_proj");
        String k = linear(hN, w.tensor(p + "self_attn.k_proj.weight", d, d), w.tensor(p + "self_attn.k_proj.bias", d), d,
                d, p + "k_proj");
        String v = linear(hN, w.tensor(p + "self_attn.v_proj.weight", d, d), w.tensor(p + "self_attn.v_proj.bias", d), d,
                d, p + "v_proj");
        return new String[] {q, k, v};
    }

    /**
     * Scales a float32 buffer into a new buffer (used to fold the attention scale into q_proj).
     *
     * @param src little-endian float32 bytes @param s factor @return scaled copy
     */
    public static ByteBuffer scaled(ByteBuffer src, float s) {
        FloatBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        ByteBuffer out = ByteBuffer.allocate(in.remaining() * 4).order(ByteOrder.LITTLE_ENDIAN);
        FloatBuffer o = out.asFloatBuffer();
        for (int i = 0; i < in.remaining(); i++) {
            o.put(i, in.get(i) * s);
        }
        return out;
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
