package org.sonarllm.training.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Hand-counted non-words of reconstructions ({@link SpaceEvaluator#nonWords}). */
class SpaceEvaluatorTest {
    private static final Set<String> VOCAB = GenerationMetrics.vocabulary(List.of(
            "Anne walked to the garden. The captain was silent, and Anne smiled."));

    private static SpaceEvaluator.Example ex(String source, String reconstruction) {
        return new SpaceEvaluator.Example(source, reconstruction);
    }

    @Test
    void countsOnlyTheNonWordsAddedToSentencesOfKnownWords() {
        SpaceEvaluator.NonWords n = SpaceEvaluator.nonWords(List.of(
                ex("The captain smiled.", "The captain smiled."), // common, 3 words, clean
                ex("Anne walked to the garden.", "Anne walkked to the gardenen."), // common, 5 words, 2 non-words
                ex("Mr. Elliot smiled.", "Mr. Elliotte smiled."), // "mr", "elliot" unknown: not common
                ex("\"Silent!\"", "\"Silentcaptain walkked!\""), // common, 2 words, both non-words, one seen before
                ex("...", "Anne.")), // no word: not common
                VOCAB);
        assertEquals(3, n.commonSentences());
        assertEquals(2, n.withNonWords());
        assertEquals(3 + 5 + 2, n.words());
        assertEquals(4, n.nonWords());
        assertEquals(0.4, n.nonWordShare(), 1e-12);
        assertEquals(List.of("walkked", "gardenen", "silentcaptain"), n.examples());
        // the common sentences alone: one of three exact; their BLEU is the corpus BLEU of those three pairs only
        assertEquals(1 / 3.0, n.exactMatch(), 1e-12);
        assertEquals(100 * TextMetrics.corpusBleu(
                List.of("The captain smiled.", "Anne walkked to the gardenen.", "\"Silentcaptain walkked!\""),
                List.of("The captain smiled.", "Anne walked to the garden.", "\"Silent!\"")), n.bleu(), 1e-9);
        assertEquals(0, SpaceEvaluator.nonWords(List.of(ex("...", "Anne.")), VOCAB).bleu());
    }

    @Test
    void keepsAtMostTwentyDistinctExamplesAndZeroShareWithoutWords() {
        List<SpaceEvaluator.Example> many = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            many.add(ex("Anne smiled.", "Anne smiled" + (char) ('a' + i) + "."));
        }
        SpaceEvaluator.NonWords n = SpaceEvaluator.nonWords(many, VOCAB);
        assertEquals(25, n.commonSentences());
        assertEquals(25, n.withNonWords());
        assertEquals(25, n.nonWords());
        assertEquals(50, n.words());
        assertEquals(20, n.examples().size());
        assertEquals("smileda", n.examples().get(0));
        assertEquals(0, SpaceEvaluator.nonWords(List.of(ex("Anne.", "")), VOCAB).nonWordShare());
        assertEquals(1, SpaceEvaluator.nonWords(List.of(ex("Anne.", "")), VOCAB).commonSentences());
    }

    @Test
    void reportListsEveryReconstructionAndTheFirstEightAsExamples() {
        List<SpaceEvaluator.Example> all = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            all.add(ex("s" + i, "r" + i));
        }
        SpaceEvaluator.Report r = new SpaceEvaluator.Report(11, 0, 0, 0, 0, all);
        all.clear();
        assertEquals(11, r.reconstructions().size());
        assertEquals(8, r.examples().size());
        assertEquals("r7", r.examples().get(7).reconstruction());
    }
}
