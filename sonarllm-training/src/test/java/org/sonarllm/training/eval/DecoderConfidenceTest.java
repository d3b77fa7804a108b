package org.sonarllm.training.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;
import org.sonarllm.lang.Language;

/** {@link DecoderConfidence} on hand-computed logits. */
class DecoderConfidenceTest {
    @Test
    void crossEntropyAndEntropyOfHandComputedDistributions() {
        // p = (1/4, 3/4), label 1: -log 3/4; entropy -(1/4 log 1/4 + 3/4 log 3/4). Uniform over 4: log 4 both.
        float[][] logits = {{0f, (float) Math.log(3)}, {1f, 1f, 1f, 1f}};
        double[] s = DecoderConfidence.score(new float[][] {logits[0]}, new int[] {1});
        assertEquals(Math.log(4.0 / 3), s[0], 1e-6);
        assertEquals(-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)), s[1], 1e-6);
        double[] u = DecoderConfidence.score(new float[][] {{1f, 1f, 1f, 1f}, {0f, (float) Math.log(3)}}, new int[] {2, 0});
        assertEquals(Math.log(4) + Math.log(4), u[0], 1e-6);
        assertEquals(Math.log(4) + 0.5623351446188083, u[1], 1e-6);
        assertThrows(InvalidInputException.class, () -> DecoderConfidence.score(logits, new int[] {1}));
        assertThrows(InvalidInputException.class, () -> DecoderConfidence.score(new float[][] {{0f, 1f}}, new int[] {2}));
    }

    /** -log sigmoid(x): the loss of label 1 under logits (0, x). */
    private static double nll(double x) {
        return Math.log1p(Math.exp(-x));
    }

    @Test
    void theFourVectorsArePredictionTruthNearestRealAndAnotherSentences() {
        // targets on the unit circle; each prediction nearest to the *next* pair's target
        float[][] t = {{1, 0}, {0, 1}, {-1, 0}, {0, -1}};
        List<NextSentenceEvaluator.Pair> pairs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            float[] next = t[(i + 1) % 4];
            float[] p = {3 * next[0] + 0.1f, 3 * next[1] + 0.2f};
            pairs.add(new NextSentenceEvaluator.Pair("c", "s" + i, "h", 0, p, t[i]));
        }
        // one label position of vocabulary 2, label 1, logit of 1 = first coordinate of the vector + the pair's index
        DecoderConfidence.Report r = DecoderConfidence.of(pairs, (vectors, sentence, lang) -> {
            int i = Integer.parseInt(sentence.substring(1));
            float[][][] l = new float[vectors.size()][1][];
            for (int v = 0; v < l.length; v++) {
                l[v][0] = new float[] {0, vectors.get(v)[0] + i};
            }
            return new DecoderConfidence.Forced(l, new int[] {1});
        }, Language.ENGLISH);
        double[] ce = new double[4];
        for (int i = 0; i < 4; i++) {
            ce[0] += nll(pairs.get(i).prediction()[0] + i);
            ce[1] += nll(t[i][0] + i);
            ce[2] += nll(t[(i + 1) % 4][0] + i); // nearest real vector: the next pair's target
            ce[3] += nll(t[(i + 2) % 4][0] + i); // half the evaluation away
        }
        assertEquals(4, r.pairs());
        assertEquals(4, r.tokens());
        assertEquals(ce[0] / 4, r.predictionCe(), 1e-6);
        assertEquals(ce[1] / 4, r.trueCe(), 1e-6);
        assertEquals(ce[2] / 4, r.nearestCe(), 1e-6);
        assertEquals(ce[3] / 4, r.otherCe(), 1e-6);
        assertThrows(InvalidInputException.class, () -> DecoderConfidence.of(List.of(), null, Language.ENGLISH));
    }
}
