package org.sonarllm.training.model;

import org.sonarllm.model.ConceptLMConfig;

/**
 * Rotary position tables for the training graph: cos/sin of the config's {@link
 * ConceptLMConfig#ropeInverseFrequencies()} in the {@code rotate_half} layout ({@code cat(freqs, freqs)}).
 *
 * <pre>{@code
 * double[][] cos = Rope.table(cfg, 12, false);
 * }</pre>
 */
public final class Rope {
    private Rope() {}

    /**
     * @param cfg model config
     * @param positions number of positions
     * @param sine true for the sine table, false for cosine
     * @return [positions][headDim] table
     */
    public static double[][] table(ConceptLMConfig cfg, int positions, boolean sine) {
        double[] inv = cfg.ropeInverseFrequencies();
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
