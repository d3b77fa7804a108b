package org.sonarllm.training.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;

/** Hand-counted cases. */
class GenerationMetricsTest {
    private static final Set<String> VOCAB = GenerationMetrics.vocabulary(List.of(
            "Anne walked to the garden. The captain was silent, and Anne smiled."));

    @Test
    void countsWordsOutsideTheVocabularyRepeatsAndBigrams() {
        GenerationMetrics.Report r = GenerationMetrics.of(List.of("Anne walked."),
                List.of(List.of("The captain smiled.", "The captain smiled.", "Anne coldable.")), VOCAB);
        // words: the captain smiled the captain smiled anne coldable -> 8, 7 known
        assertEquals(3, r.sentences());
        assertEquals(8, r.words());
        assertEquals(7.0 / 8, r.vocabularyShare(), 1e-12);
        assertEquals(List.of("coldable"), r.outside());
        assertEquals(1, r.verbatimRepeats());
        // tokens: the captain smiled . the captain smiled . anne coldable .  (11 tokens, 10 bigrams)
        // distinct: "the captain" "captain smiled" "smiled ." ". the" ". anne" "anne coldable" "coldable ." = 7
        assertEquals(0.7, r.distinct2(), 1e-12);
    }

    @Test
    void promptDependenceComparesTheOwnPromptWithTheOthersOnAverage() {
        List<String> prompts = List.of("Captain Wentworth came to Kellynch.", "Mary was ill at Uppercross.",
                "The weather at Lyme was fine.");
        List<List<String>> cont = List.of(
                List.of("Wentworth stayed at Kellynch for a week."), // own 2 (wentworth, kellynch), others 0, 0
                List.of("Lyme and Kellynch were far away."),          // own 0; others: kellynch 1, lyme 1 -> mean 1
                List.of("The weather at Lyme was fine."));            // own 3 (weather lyme fine), others 0, 0
        GenerationMetrics.Report r = GenerationMetrics.of(prompts, cont, VOCAB);
        assertEquals(2, r.promptDependent());
        assertEquals(2.0 / 3, r.promptDependentShare(), 1e-12);
        assertEquals((2 + 0 + 3) / 3.0, r.meanOwnOverlap(), 1e-12);
        assertEquals((0 + 1 + 0) / 3.0, r.meanOtherOverlap(), 1e-12);
        assertEquals(0, r.verbatimRepeats());
    }

    @Test
    void stuttersAreWordsEqualToTheWordBeforeThemInTheirSentence() {
        GenerationMetrics.Report r = GenerationMetrics.of(List.of("Anne walked."), List.of(List.of(
                "He had had been of of the the garden.", // had had, of of, the the: 3 of 9 words
                "Garden walks.",                          // "garden" ends the sentence before: not a pair
                "Very, very well; well.")), VOCAB);       // case and punctuation between do not matter: 2
        assertEquals(5, r.stutters());
        assertEquals(15, r.words());
        assertEquals(100.0 * 5 / 15, r.stuttersPer100Words(), 1e-12);
        assertEquals(0, GenerationMetrics.of(List.of("a"), List.of(List.of()), VOCAB).stuttersPer100Words());
    }

    @Test
    void contentWordsSkipStopWordsAndShortWords() {
        assertEquals(Set.of("captain", "kellynch"), GenerationMetrics.contentWords("The Captain was at Kellynch, and he is."));
        assertEquals(List.of("it", "s", "anne"), GenerationMetrics.words("It's Anne 42!"));
    }

    @Test
    void mismatchedListsAreRefused() {
        assertEquals("expected one continuation per prompt (at least one), found 1 prompts and 0 continuations",
                assertThrows(InvalidInputException.class, () -> GenerationMetrics.of(List.of("a"), List.of(), VOCAB))
                        .getMessage());
    }
}
