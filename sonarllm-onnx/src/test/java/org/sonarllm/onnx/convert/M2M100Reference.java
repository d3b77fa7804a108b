package org.sonarllm.onnx.convert;

import java.nio.file.Path;
import org.sonarllm.onnx.weights.SafeTensors;

/**
 * A plain float64 Java implementation of the M2M100 encoder (+ mean pooling) and decoder (one-vector
 * cross-attention) straight from the safetensors weights, written from the semantics in the tiny-a
 * README: an independent check of the ONNX graphs at arbitrary sizes.
 */
final class M2M100Reference {
    private final SafeTensors st;
    private final String prefix;
    private final int d;
    private final int h;
    private final int ffn;
    private final int layers;

    M2M100Reference(Path safetensors, String prefix, int d, int h, int ffn, int layers) {
        this.st = SafeTensors.open(safetensors);
        this.prefix = prefix;
        this.d = d;
        this.h = h;
        this.ffn = ffn;
        this.layers = layers;
    }

    float[] w(String n) {
        return st.floats(prefix + n);
    }

    static double[] sinusoid(int pos, int d) {
        int half = d / 2;
        double[] out = new double[d];
        for (int j = 0; j < half; j++) {
            double f = Math.exp(-j * Math.log(10000) / (half - 1));
            out[j] = Math.sin(pos * f);
            out[half + j] = Math.cos(pos * f);
        }
        return out;
    }

    double[] linear(double[] x, float[] wt, float[] b, int out) {
        int in = x.length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = b == null ? 0 : b[o];
            for (int k = 0; k < in; k++) {
                s += wt[o * in + k] * x[k];
            }
            y[o] = s;
        }
        return y;
    }

    static double[] ln(double[] x, float[] g, float[] b) {
        double m = 0;
        for (double v : x) {
            m += v / x.length;
        }
        double var = 0;
        for (double v : x) {
            var += (v - m) * (v - m) / x.length;
        }
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (x[i] - m) / Math.sqrt(var + 1e-5) * g[i] + b[i];
        }
        return y;
    }

    double[][] embed(int[] ids, float[] table) {
        double[][] x = new double[ids.length][];
        for (int t = 0; t < ids.length; t++) {
            double[] p = sinusoid(t + 2, d);
            x[t] = new double[d];
            for (int i = 0; i < d; i++) {
                x[t][i] = table[ids[t] * d + i] * Math.sqrt(d) + p[i];
            }
        }
        return x;
    }

    void selfAttention(double[][] x, String p, boolean causal) {
        int n = x.length;
        int dh = d / h;
        double[][] q = new double[n][];
        double[][] k = new double[n][];
        double[][] v = new double[n][];
        for (int t = 0; t < n; t++) {
            double[] hN = ln(x[t], w(p + "self_attn_layer_norm.weight"), w(p + "self_attn_layer_norm.bias"));
            q[t] = linear(hN, w(p + "self_attn.q_proj.weight"), w(p + "self_attn.q_proj.bias"), d);
            k[t] = linear(hN, w(p + "self_attn.k_proj.weight"), w(p + "self_attn.k_proj.bias"), d);
            v[t] = linear(hN, w(p + "self_attn.v_proj.weight"), w(p + "self_attn.v_proj.bias"), d);
        }
        for (int t = 0; t < n; t++) {
            double[] ctx = new double[d];
            for (int hh = 0; hh < h; hh++) {
                int lim = causal ? t + 1 : n;
                double[] s = new double[lim];
                double mx = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < lim; j++) {
                    for (int i = 0; i < dh; i++) {
                        s[j] += q[t][hh * dh + i] * Math.pow(dh, -0.5) * k[j][hh * dh + i];
                    }
                    mx = Math.max(mx, s[j]);
                }
                double z = 0;
                for (int j = 0; j < lim; j++) {
                    s[j] = Math.exp(s[j] - mx);
                    z += s[j];
                }
                for (int j = 0; j < lim; j++) {
                    for (int i = 0; i < dh; i++) {
                        ctx[hh * dh + i] += s[j] / z * v[j][hh * dh + i];
                    }
                }
            }
            double[] o = linear(ctx, w(p + "self_attn.out_proj.weight"), w(p + "self_attn.out_proj.bias"), d);
            for (int i = 0; i < d; i++) {
                x[t][i] += o[i];
            }
        }
    }

    void ffn(double[][] x, String p) {
        for (double[] row : x) {
            double[] hN = ln(row, w(p + "final_layer_norm.weight"), w(p + "final_layer_norm.bias"));
            double[] a = linear(hN, w(p + "fc1.weight"), w(p + "fc1.bias"), ffn);
            for (int i = 0; i < a.length; i++) {
                a[i] = Math.max(0, a[i]);
            }
            double[] o = linear(a, w(p + "fc2.weight"), w(p + "fc2.bias"), d);
            for (int i = 0; i < d; i++) {
                row[i] += o[i];
            }
        }
    }

    double[] encode(int[] ids) {
        double[][] x = embed(ids, w("embed_tokens.weight"));
        for (int l = 0; l < layers; l++) {
            selfAttention(x, "layers." + l + ".", false);
            ffn(x, "layers." + l + ".");
        }
        double[] mean = new double[d];
        for (double[] row : x) {
            double[] y = ln(row, w("layer_norm.weight"), w("layer_norm.bias"));
            for (int i = 0; i < d; i++) {
                mean[i] += y[i] / ids.length;
            }
        }
        return mean;
    }

    double[][] decoderLogits(int[] ids, float[] e, int vocab) {
        float[] table = w("embed_tokens.weight");
        double[][] x = embed(ids, table);
        double[] ed = new double[d];
        for (int i = 0; i < d; i++) {
            ed[i] = e[i];
        }
        for (int l = 0; l < layers; l++) {
            String p = "layers." + l + ".";
            selfAttention(x, p, true);
            double[] c = linear(linear(ed, w(p + "encoder_attn.v_proj.weight"), w(p + "encoder_attn.v_proj.bias"), d),
                    w(p + "encoder_attn.out_proj.weight"), w(p + "encoder_attn.out_proj.bias"), d);
            for (double[] row : x) {
                for (int i = 0; i < d; i++) {
                    row[i] += c[i];
                }
            }
            ffn(x, p);
        }
        double[][] logits = new double[ids.length][];
        for (int t = 0; t < ids.length; t++) {
            logits[t] = linear(ln(x[t], w("layer_norm.weight"), w("layer_norm.bias")), table, null, vocab);
        }
        return logits;
    }
}
