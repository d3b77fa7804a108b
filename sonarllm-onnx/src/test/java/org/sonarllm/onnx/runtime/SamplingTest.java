package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sonarllm.decode.DecodingStrategy;

/** Sampling filters against hand-computed distributions (20000 seeded draws, tolerance 0.015). */
class SamplingTest {
    static double[] freq(float[] lp, DecodingStrategy.Sampling o) {
        SplittableRandom r = new SplittableRandom(o.seed());
        double[] f = new double[lp.length];
        int n = 20000;
        for (int i = 0; i < n; i++) {
            f[TokenSearch.sample(lp, 0, lp.length, o, r)] += 1.0 / n;
        }
        return f;
    }

    static final float[] LP = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2)};

    static void close(double[] exp, double[] got) {
        for (int i = 0; i < exp.length; i++) {
            assertEquals(exp[i], got[i], 0.015, "token " + i);
        }
    }

    @Test
    void plain() {
        close(new double[] {0.5, 0.3, 0.2}, freq(LP, new DecodingStrategy.Sampling(1, 0, 1, 1)));
    }

    @Test
    void topK() {
        close(new double[] {0.625, 0.375, 0}, freq(LP, new DecodingStrategy.Sampling(1, 2, 1, 2)));
        close(new double[] {1, 0, 0}, freq(LP, new DecodingStrategy.Sampling(1, 1, 1, 2)));
    }

    @Test
    void topP() {
        close(new double[] {1, 0, 0}, freq(LP, new DecodingStrategy.Sampling(1, 0, 0.5, 3)));
        close(new double[] {0.625, 0.375, 0}, freq(LP, new DecodingStrategy.Sampling(1, 0, 0.8, 3)));
        close(new double[] {0.5, 0.3, 0.2}, freq(LP, new DecodingStrategy.Sampling(1, 0, 0.81, 3)));
    }

    @Test
    void temperature() {
        double a = Math.sqrt(0.5);
        double b = Math.sqrt(0.3);
        double c = Math.sqrt(0.2);
        double z = a + b + c;
        close(new double[] {a / z, b / z, c / z}, freq(LP, new DecodingStrategy.Sampling(2, 0, 1, 4)));
    }
}
