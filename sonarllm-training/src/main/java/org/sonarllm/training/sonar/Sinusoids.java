package org.sonarllm.training.sonar;

import org.sonarllm.model.SonarConfig;

/** M2M100 sinusoidal positions ({@link SonarConfig#sinusoidFrequencies}): row t is position t + padding_idx + 1. */
final class Sinusoids {
    private Sinusoids() {}

    static double[][] table(int len, int d) {
        double[][] pos = new double[len][d];
        double[] freq = SonarConfig.sinusoidFrequencies(d);
        int half = freq.length;
        for (int t = 0; t < len; t++) {
            int p = t + SonarConfig.PAD + 1;
            for (int j = 0; j < half; j++) {
                pos[t][j] = Math.sin(p * freq[j]);
                pos[t][j + half] = Math.cos(p * freq[j]);
            }
        }
        return pos;
    }
}
