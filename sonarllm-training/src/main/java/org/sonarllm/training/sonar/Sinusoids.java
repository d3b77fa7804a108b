package org.sonarllm.training.sonar;

/** M2M100 sinusoidal positions: row t is position t + padding_idx + 1 (the first real token uses row 2). */
final class Sinusoids {
    private Sinusoids() {}

    static double[][] table(int len, int d) {
        double[][] pos = new double[len][d];
        int half = d / 2;
        for (int t = 0; t < len; t++) {
            int p = t + AutoencoderConfig.PAD + 1;
            for (int j = 0; j < half; j++) {
                double freq = Math.exp(-j * Math.log(10000.0) / (half - 1));
                pos[t][j] = Math.sin(p * freq);
                pos[t][j + half] = Math.cos(p * freq);
            }
        }
        return pos;
    }
}
