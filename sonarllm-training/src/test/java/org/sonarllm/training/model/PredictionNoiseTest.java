package org.sonarllm.training.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Batch#predictionNoise}: its scale against the true vectors' RMS, and its independence of the batch. */
class PredictionNoiseTest {
    private static Batch.Document doc(Random r, int sentences, int d, long seed) {
        float[][] e = new float[sentences][d];
        for (float[] row : e) {
            double scale = 0.1 + 3 * r.nextDouble(); // vectors of very different lengths
            for (int j = 0; j < d; j++) {
                row[j] = (float) (r.nextGaussian() * scale);
            }
        }
        return new Batch.Document(e, null, seed);
    }

    @Test
    void eachRowIsGaussianWithTheGivenShareOfItsTrueVectorsRms() {
        Random r = new Random(3);
        List<Batch.Document> docs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            docs.add(doc(r, 6, 64, i));
        }
        Batch b = new Batch(docs, Batch.EOS);
        float[][] y = b.nextEmbeddingRows();
        float[][] n = b.predictionNoise(0.3);
        assertEquals(1000, n.length);
        double ratio = 0;
        double mean = 0;
        double fourth = 0;
        for (int i = 0; i < n.length; i++) {
            double ny = 0;
            double nn = 0;
            for (int j = 0; j < 64; j++) {
                ny += (double) y[i][j] * y[i][j];
                nn += (double) n[i][j] * n[i][j];
            }
            double std = 0.3 * Math.sqrt(ny / 64);
            ratio += nn / (64 * std * std);
            for (int j = 0; j < 64; j++) {
                double z = n[i][j] / std;
                mean += z;
                fourth += z * z * z * z;
            }
        }
        int count = n.length * 64;
        // 64,000 draws: the variance of standard normals within 2 %, mean within 0.02, 4th moment 3 within 5 %
        assertEquals(1, ratio / n.length, 0.02);
        assertEquals(0, mean / count, 0.02);
        assertEquals(3, fourth / count, 0.15);
    }

    @Test
    void aRowDependsOnItsDocumentsSeedAndSentenceAloneNotOnTheBatch() {
        Random r = new Random(5);
        Batch.Document a = doc(r, 3, 16, 11);
        Batch.Document c = doc(r, 4, 16, 12);
        float[][] alone = new Batch(List.of(c), Batch.EOS).predictionNoise(0.5);
        float[][] behind = new Batch(List.of(a, c), Batch.EOS).predictionNoise(0.5);
        for (int k = 0; k < 3; k++) {
            assertArrayEquals(alone[k], behind[2 + k], "sentence " + (k + 1));
        }
        float[][] reseeded = new Batch(List.of(c.withNoiseSeed(13)), Batch.EOS).predictionNoise(0.5);
        assertFalse(Arrays.equals(alone[0], reseeded[0]));
        assertFalse(Arrays.equals(alone[0], alone[1]), "sentences of one document get their own noise");
        // no noise without a scale, and none on a zero vector
        assertTrue(Arrays.stream(new Batch(List.of(c), Batch.EOS).predictionNoise(0)).allMatch(PredictionNoiseTest::zero));
        float[][] zero = {new float[16], new float[16]};
        assertTrue(zero(new Batch(List.of(new Batch.Document(zero, null, 1)), Batch.EOS).predictionNoise(0.5)[0]));
    }

    private static boolean zero(float[] row) {
        for (float v : row) {
            if (v != 0) {
                return false;
            }
        }
        return true;
    }
}
