package org.sonarllm.training.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;

/** Hand-computed BLEU / ROUGE-L cases (derivations in comments). */
class TextMetricsTest {
    @Test
    void tokenizesWordsAndPunctuation() {
        assertEquals(List.of("Mr", ".", "Darcy", "'", "s", "ball", ",", "1811"), TextMetrics.tokens("Mr. Darcy's ball, 1811"));
    }

    @Test
    void corpusBleuByHand() {
        // Pair 1: hyp "the cat sat on the mat" vs ref "the cat is on the mat":
        //   1-grams 5/6, 2-grams 3/5 (the cat, on the, the mat), 3-grams 1/4 (on the mat), 4-grams 0/3.
        // Pair 2: hyp "a b c d e" vs ref "a b c d e f": 5/5, 4/4, 3/3, 2/2.
        // Corpus: p = 10/11, 7/9, 4/7, 2/5; c = 11 < r = 12 so BP = exp(1 - 12/11).
        double expected = Math.exp(1 - 12.0 / 11) * Math.pow(10.0 / 11 * 7.0 / 9 * 4.0 / 7 * 2.0 / 5, 0.25);
        assertEquals(expected, TextMetrics.corpusBleu(List.of("the cat sat on the mat", "a b c d e"),
                List.of("the cat is on the mat", "a b c d e f")), 1e-12);
        assertEquals(0.5789, expected, 1e-4);
    }

    @Test
    void bleuClipsCountsAndIsZeroWithoutFourGramMatches() {
        // hyp 7 x's vs ref 5 x's: clipped 5/7, 4/6, 3/5, 2/4; c >= r so BP = 1; BLEU = (1/7)^(1/4).
        assertEquals(Math.pow(1.0 / 7, 0.25), TextMetrics.corpusBleu(List.of("x x x x x x x"), List.of("x x x x x")), 1e-12);
        assertEquals(0.0, TextMetrics.corpusBleu(List.of("the cat sat on the mat"), List.of("the cat is on the mat")));
        assertEquals(1.0, TextMetrics.corpusBleu(List.of("It is a truth universally acknowledged."),
                List.of("It is a truth universally acknowledged.")), 1e-12);
    }

    @Test
    void rougeLByHand() {
        // LCS "the cat on the mat" = 5 of 6 and 6 tokens: P = R = F = 5/6.
        assertEquals(5.0 / 6, TextMetrics.rougeL("the cat sat on the mat", "the cat is on the mat"), 1e-12);
        // hyp "a b c", ref "c b a d": LCS 1, P = 1/3, R = 1/4, F = 2PR/(P+R) = 2/7.
        assertEquals(2.0 / 7, TextMetrics.rougeL("a b c", "c b a d"), 1e-12);
        assertEquals(0.0, TextMetrics.rougeL("x", "y"));
        assertEquals((5.0 / 6 + 2.0 / 7) / 2, TextMetrics.meanRougeL(List.of("the cat sat on the mat", "a b c"),
                List.of("the cat is on the mat", "c b a d")), 1e-12);
    }

    @Test
    void rejectsMismatchedLists() {
        assertThrows(InvalidInputException.class, () -> TextMetrics.corpusBleu(List.of("a"), List.of()));
        assertThrows(InvalidInputException.class, () -> TextMetrics.meanRougeL(List.of(), List.of()));
    }

    @Test
    void chrFByHand() {
        // "ab" vs "abc": order 1 P 1 R 2/3 -> F2 = 5 (2/3) / (4 + 2/3) = 10/14; order 2 P 1 R 1/2 -> 2.5/4.5;
        // order 3: no hypothesis n-gram -> F 0, not an effective order; mean over the 2 effective orders
        assertEquals(100 * (10.0 / 14 + 2.5 / 4.5) / 2, TextMetrics.corpusChrF(List.of("ab"), List.of("abc")), 1e-9);
        assertEquals(100 * (10.0 / 14 + 2.5 / 4.5) / 2, TextMetrics.corpusChrF(List.of("a b"), List.of("ab c")), 1e-9);
        // corpus statistics are summed before the scores: order 1 4/4 vs 4/5 -> 4/4.8; order 2 2/2 vs 2/3 -> 10/14
        assertEquals(100 * (4 / 4.8 + 10.0 / 14) / 2, TextMetrics.corpusChrF(List.of("ab", "xy"), List.of("abc", "xy")), 1e-9);
        assertEquals(100.0, TextMetrics.corpusChrF(List.of("Anne smiled."), List.of("Anne smiled.")), 1e-9);
    }
}
