package org.sonarllm.training.model;

/**
 * Rotary position tables for the concept LM (transformers default RoPE with optional llama3
 * frequency scaling, {@code rotate_half} layout: cos/sin of {@code cat(freqs, freqs)}).
 *
 * <pre>{@code
 * double[] inv = Rope.inverseFrequencies(cfg);
 * float[][] cos = Rope.cos(cfg, 12);
 * }</pre>
 */
public final class Rope {
    private Rope() {}

    /**
     * @param cfg model config
     * @return the head_dim/2 inverse frequencies after scaling, in float64 math
     */
    public static double[] inverseFrequencies(ConceptLMConfig cfg) {
        int half = cfg.headDim() / 2;
        double[] inv = new double[half];
        for (int i = 0; i < half; i++) {
            inv[i] = 1.0 / Math.pow(cfg.ropeTheta(), (2.0 * i) / cfg.headDim());
        }
        ConceptLMConfig.Llama3Scaling s = cfg.ropeScaling();
        if (s == null) {
            return inv;
        }
        double lowWavelen = s.originalMaxPositions() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositions() / s.highFreqFactor();
        for (int i = 0; i < half; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen > lowWavelen) {
                inv[i] = inv[i] / s.factor();
            } else if (wavelen >= highWavelen) {
                double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor())
                        / (s.highFreqFactor() - s.lowFreqFactor());
                inv[i] = (1 - smooth) * inv[i] / s.factor() + smooth * inv[i];
            }
        }
        return inv;
    }

    /**
     * @param cfg model config
     * @param positions number of positions
     * @param sine true for the sine table, false for cosine
     * @return [positions][headDim] table
     */
    public static double[][] table(ConceptLMConfig cfg, int positions, boolean sine) {
        double[] inv = inverseFrequencies(cfg);
        int half = inv.length;
        double[][] out = new double[positions][2 * half];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                double a = p * inv[i];
                double v = sine ? Math.sin(a) : Math.cos(a);
                out[p][i] = v;
                out[p][i + half] = v;
            }
        }
        return out;
    }
}
