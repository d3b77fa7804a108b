package org.sonarllm.training.sonar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.InvalidInputException;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.training.optim.AdamW;

class AutoencoderGraphTest {
    private static final SonarConfig TINY = SonarConfig.symmetric(13, 8, 2, 12, 2, 2, 40);

    /** Random parameters with non-trivial LayerNorm affine terms and biases, in double. */
    static Map<String, INDArray> randomParams(SonarConfig cfg, long seed) {
        Map<String, INDArray> p = AutoencoderGraph.initParameters(cfg, seed);
        Random r = new Random(seed + 1);
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : p.entrySet()) {
            INDArray a = e.getValue().castTo(DataType.DOUBLE);
            double scale = e.getKey().endsWith(".bias") ? 0.1 : e.getKey().contains("layer_norm") ? 0.2 : 0;
            if (scale > 0) {
                for (long i = 0; i < a.length(); i++) {
                    a.putScalar(i, a.getDouble(i) + scale * r.nextGaussian());
                }
            } else {
                a.muli(10); // larger weights so every path contributes visibly
            }
            out.put(e.getKey(), a);
        }
        return out;
    }

    static AutoencoderBatch interpolatedBatch(SonarConfig cfg, DataType dt) {
        int[][] clean = {{4, 5, 6, 7, 2}, {4, 8, 2}, {4, 9, 10, 11, 5, 6, 2}};
        int[][] noised = {{4, 12, 7, 2}, {4, 8, 9, 2}, {4, 10, 9, 12, 2}};
        int[][] din = {{2, 4, 5, 6, 7}, {2, 4, 8}, {2, 4, 9, 10, 11, 5, 6}};
        int[][] dout = {{4, 5, 6, 7, 2}, {4, 8, 2}, {4, 9, 10, 11, 5, 6, 2}};
        return AutoencoderBatch.interpolated(clean, noised, new double[] {0.3, 1.0, 0.65}, din, dout, cfg, dt);
    }

    @Test
    void gradientsMatchCentralFiniteDifferences() {
        Map<String, INDArray> params = randomParams(TINY, 3);
        AutoencoderGraph g = AutoencoderGraph.build(TINY, params, DataType.DOUBLE);
        checkGradients(g, interpolatedBatch(TINY, DataType.DOUBLE));
    }

    @Test
    void gradientsWithNoiseOnTheSentenceVectorsMatchFiniteDifferences() {
        Map<String, INDArray> params = randomParams(TINY, 4);
        AutoencoderGraph g = AutoencoderGraph.build(TINY, params, DataType.DOUBLE);
        Random r = new Random(5);
        double[][] noise = new double[3][TINY.model()];
        for (double[] row : noise) {
            for (int j = 0; j < row.length; j++) {
                row[j] = 0.3 * r.nextGaussian();
            }
        }
        AutoencoderBatch plain = interpolatedBatch(TINY, DataType.DOUBLE);
        AutoencoderBatch noisy = plain.withVectorNoise(noise);
        assertTrue(Math.abs(g.loss(noisy) - g.loss(plain)) > 1e-6, "the noise reaches the decoder");
        checkGradients(g, noisy);
    }

    private static AutoencoderBatch plainBatch(SonarConfig cfg, DataType dt) {
        int[][] enc = {{4, 5, 6, 7, 2}, {4, 8, 2}, {4, 9, 10, 11, 5, 6, 2}};
        int[][] din = {{2, 4, 5, 6, 7}, {2, 4, 8}, {2, 4, 9, 10, 11, 5, 6}};
        return AutoencoderBatch.plain(enc, din, enc, cfg, dt);
    }

    @Test
    void gradientsWithDropoutMatchFiniteDifferencesAndNoMasksMeansNoDropout() {
        Map<String, INDArray> params = randomParams(TINY, 6);
        Map<String, INDArray> copy = new LinkedHashMap<>();
        params.forEach((k, v) -> copy.put(k, v.dup()));
        AutoencoderGraph g = AutoencoderGraph.build(TINY, params, DataType.DOUBLE, true);
        AutoencoderGraph none = AutoencoderGraph.build(TINY, copy, DataType.DOUBLE);
        AutoencoderBatch plain = plainBatch(TINY, DataType.DOUBLE);
        assertEquals(none.loss(plain), g.loss(plain), 1e-12, "a batch without masks runs undropped");
        AutoencoderBatch dropped = plain.withDropout(0.3, new long[] {1, 2, 3}, true, TINY);
        assertTrue(Math.abs(g.loss(dropped) - g.loss(plain)) > 1e-6, "the masks reach the loss");
        checkGradients(g, dropped);
        // decoder-only masks (the interpolation phase): gradients still exact
        checkGradients(g, interpolatedBatch(TINY, DataType.DOUBLE).withDropout(0.3, new long[] {4, 5, 6}, false, TINY));
    }

    @Test
    void dropoutMasksAreInvertedPerSentenceAndTheSameInAnyBatch() {
        SonarConfig wide = SonarConfig.symmetric(13, 64, 2, 12, 2, 2, 40);
        int[] a = {4, 5, 6, 7, 2};
        int[] b = {4, 9, 10, 11, 5, 6, 7, 8, 9, 10, 4, 5, 2};
        AutoencoderBatch pair = AutoencoderBatch.plain(new int[][] {a, b}, new int[][] {shift(a), shift(b)},
                new int[][] {a, b}, wide, DataType.FLOAT).withDropout(0.25, new long[] {77, 78}, true, wide);
        AutoencoderBatch alone = AutoencoderBatch.plain(new int[][] {a}, new int[][] {shift(a)}, new int[][] {a}, wide,
                DataType.FLOAT).withDropout(0.25, new long[] {77}, true, wide);
        List<String> sites = new ArrayList<>(AutoencoderGraph.dropoutSites(wide, true));
        sites.addAll(AutoencoderGraph.dropoutSites(wide, false));
        assertEquals(1 + 2 * 2 + 1 + 3 * 2, sites.size());
        long zeros = 0;
        long real = 0;
        for (String site : sites) {
            float[][] m = pair.feeds().get(site).toFloatMatrix(); // [2 * 16, 64]
            float[][] m1 = alone.feeds().get(site).toFloatMatrix(); // [8, 64]
            assertEquals(32, m.length);
            for (int t = 0; t < 16; t++) {
                for (int j = 0; j < 64; j++) {
                    for (int row = 0; row < 2; row++) {
                        float v = m[row * 16 + t][j];
                        if (t >= (row == 0 ? a : b).length) {
                            assertEquals(1f, v, 0, "padding keeps 1");
                            continue;
                        }
                        assertTrue(v == 0f || Math.abs(v - 1 / 0.75f) < 1e-6, "inverted dropout: " + v);
                        zeros += v == 0f ? 1 : 0;
                        real++;
                        if (row == 0) {
                            assertEquals(m1[t][j], v, 0, "row a's masks do not depend on the batch");
                        }
                    }
                }
            }
        }
        assertEquals(0.25, (double) zeros / real, 0.02, zeros + " of " + real);
        assertThrows(InvalidInputException.class, () -> AutoencoderBatch.plain(new int[][] {a}, new int[][] {shift(a)},
                new int[][] {a}, wide, DataType.FLOAT).withDropout(1.0, new long[] {1}, true, wide));
    }

    private static void checkGradients(AutoencoderGraph g, AutoencoderBatch b) {
        List<String> names = new ArrayList<>(g.parameters().keySet());
        Map<String, INDArray> grads = g.lossAndGradients(b, names).gradients();
        Map<String, INDArray> live = g.parameters();
        Random r = new Random(11);
        double eps = 1e-6;
        int checked = 0;
        for (String n : names) {
            INDArray p = live.get(n);
            INDArray gr = grads.get(n);
            int per = n.contains("embed_tokens") ? 3 : 1;
            for (int k = 0; k < per; k++) {
                long i = r.nextInt((int) p.length());
                if (n.contains("embed_tokens") && k == 0) {
                    i = 5L * TINY.model() + r.nextInt(TINY.model()); // token 5 is used in encoder and decoder
                }
                double orig = p.getDouble(i);
                p.putScalar(i, orig + eps);
                double up = g.loss(b);
                p.putScalar(i, orig - eps);
                double down = g.loss(b);
                p.putScalar(i, orig);
                double fd = (up - down) / (2 * eps);
                double an = gr.getDouble(i);
                assertEquals(fd, an, 1e-5 + 1e-4 * Math.abs(fd), n + "[" + i + "]: finite difference " + fd + " vs " + an);
                checked++;
            }
        }
        assertTrue(checked > 50, "checked " + checked);
        // The embedding tables must receive a non-zero gradient (lookup is differentiable).
        assertTrue(grads.get("enc.embed_tokens.weight").norm2Number().doubleValue() > 1e-6);
        assertTrue(grads.get("dec.embed_tokens.weight").norm2Number().doubleValue() > 1e-6);
    }

    /**
     * Batches are padded to a multiple of 8 positions: a 9-token row alone (padded to 16) and next to a 17-token
     * row (both padded to 24) has the same loss, and the loss of the two is their token-weighted mean.
     */
    @Test
    void lengthsRoundedUpToAMultipleOfEightChangeNoLoss() {
        assertEquals(16, AutoencoderBatch.padded(9, TINY));
        assertEquals(24, AutoencoderBatch.padded(17, TINY));
        assertEquals(38, AutoencoderBatch.padded(37, TINY), "capped at the position limit");
        AutoencoderGraph g = AutoencoderGraph.build(TINY, randomParams(TINY, 9), DataType.DOUBLE);
        int[] a = {4, 5, 6, 7, 8, 9, 10, 11, 2};
        int[] b = {12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 4, 5, 6, 7, 8, 9, 2};
        double la = g.loss(AutoencoderBatch.plain(new int[][] {a}, new int[][] {shift(a)}, new int[][] {a}, TINY,
                DataType.DOUBLE));
        double lb = g.loss(AutoencoderBatch.plain(new int[][] {b}, new int[][] {shift(b)}, new int[][] {b}, TINY,
                DataType.DOUBLE));
        double both = g.loss(AutoencoderBatch.plain(new int[][] {a, b}, new int[][] {shift(a), shift(b)},
                new int[][] {a, b}, TINY, DataType.DOUBLE));
        assertEquals((9 * la + 17 * lb) / 26, both, 1e-9);
    }

    /** Decoder input of a target: end of sentence first, as the tests above. */
    private static int[] shift(int[] target) {
        int[] in = new int[target.length];
        in[0] = 2;
        System.arraycopy(target, 0, in, 1, target.length - 1);
        return in;
    }

    @Test
    void lossIsTheMeanTargetNegativeLogLikelihoodAndIgnoresPadding() {
        // Two batches that differ only in padding length (a longer extra row) give the same per-row losses.
        Map<String, INDArray> params = randomParams(TINY, 5);
        AutoencoderGraph g = AutoencoderGraph.build(TINY, params, DataType.DOUBLE);
        int[][] e1 = {{4, 5, 2}};
        int[][] d1 = {{2, 4, 5}};
        int[][] t1 = {{4, 5, 2}};
        double l1 = g.loss(AutoencoderBatch.plain(e1, d1, t1, TINY, DataType.DOUBLE));
        int[][] e2 = {{4, 6, 7, 8, 9, 2}};
        int[][] d2 = {{2, 4, 6, 7, 8, 9}};
        int[][] t2 = {{4, 6, 7, 8, 9, 2}};
        double l2 = g.loss(AutoencoderBatch.plain(e2, d2, t2, TINY, DataType.DOUBLE));
        double both = g.loss(AutoencoderBatch.plain(new int[][] {e1[0], e2[0]}, new int[][] {d1[0], d2[0]},
                new int[][] {t1[0], t2[0]}, TINY, DataType.DOUBLE));
        assertEquals((3 * l1 + 6 * l2) / 9, both, 1e-9);
        // Embeddings of a padded batch equal those computed one sentence at a time.
        float[][] a = g.embed(new long[][] {{4, 5, 2, 1, 1, 1}, {4, 6, 7, 8, 9, 2}});
        float[][] s = g.embed(new long[][] {{4, 5, 2}});
        for (int j = 0; j < TINY.model(); j++) {
            assertEquals(s[0][j], a[0][j], 1e-5);
        }
    }

    @Test
    void overfitsATinyBatch() {
        SonarConfig cfg = SonarConfig.symmetric(13, 16, 2, 32, 1, 1, 40);
        AutoencoderGraph g = AutoencoderGraph.build(cfg, AutoencoderGraph.initParameters(cfg, 1), DataType.FLOAT);
        int[][] enc = {{4, 5, 6, 7, 2}, {4, 7, 6, 5, 2}, {4, 8, 9, 2}, {4, 9, 8, 10, 11, 2}};
        int[][] din = new int[4][];
        int[][] dout = enc;
        for (int i = 0; i < 4; i++) {
            din[i] = new int[enc[i].length];
            din[i][0] = 2;
            System.arraycopy(enc[i], 0, din[i], 1, enc[i].length - 1);
        }
        AutoencoderBatch b = AutoencoderBatch.plain(enc, din, dout, cfg, DataType.FLOAT);
        AdamW adam = new AdamW(0.9, 0.98, 1e-8, 0);
        List<String> names = new ArrayList<>(g.parameters().keySet());
        double first = g.loss(b);
        for (int s = 0; s < 300; s++) {
            Map<String, INDArray> gr = g.lossAndGradients(b, names).gradients();
            adam.step(g.parameters(), gr, 1e-2);
        }
        double last = g.loss(b);
        assertTrue(first > 2.0, "initial loss " + first);
        assertTrue(last < 0.05, "loss after overfitting " + last);
    }

    @Test
    void rejectsBadInput() {
        assertThrows(InvalidInputException.class, () -> SonarConfig.symmetric(13, 9, 2, 12, 1, 1, 40));
        Map<String, INDArray> p = AutoencoderGraph.initParameters(TINY, 1);
        p.remove("enc.layer_norm.weight");
        assertThrows(InvalidInputException.class, () -> AutoencoderGraph.build(TINY, p, DataType.FLOAT));
        assertThrows(InvalidInputException.class, () -> AutoencoderBatch.plain(new int[][] {{4, 99, 2}},
                new int[][] {{2, 4, 5}}, new int[][] {{4, 5, 2}}, TINY, DataType.FLOAT));
        assertThrows(InvalidInputException.class, () -> AutoencoderBatch.plain(new int[][] {{4, 5, 2}},
                new int[][] {{2, 4}}, new int[][] {{4, 5, 2}}, TINY, DataType.FLOAT));
    }
}
