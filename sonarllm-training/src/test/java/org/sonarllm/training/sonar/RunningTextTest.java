package org.sonarllm.training.sonar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RunningTextTest {
    private static RunningText.Sentence s(int[] pieces, boolean... wordStart) {
        return new RunningText.Sentence(pieces, wordStart, -1);
    }

    /** Text 10 11 12 | 20 21 | 30 31 32 33 (positions 0..8), words starting at 0, 2, 3, 4, 5, 8. */
    private static final RunningText TEXT = new RunningText(List.of(
            s(new int[] {10, 11, 12}, true, false, true),
            s(new int[] {20, 21}, true, true),
            s(new int[] {30, 31, 32, 33}, true, false, false, true)));

    @Test
    void passagesStartAtEveryWordThatLeavesRoomUniformlyAndEndBeforeAWord() {
        // hand-computed, for 3 pieces: the starts 0, 2, 3, 4, 5 leave 3 pieces; from 3 and 4 the third piece
        // would cut the word 30 31 32, so those passages end before it
        Map<String, Integer> seen = new TreeMap<>();
        Random rnd = new Random(1);
        int draws = 10_000;
        for (int i = 0; i < draws; i++) {
            seen.merge(java.util.Arrays.toString(TEXT.passage(3, rnd)), 1, Integer::sum);
        }
        assertEquals(List.of("[10, 11, 12]", "[12, 20, 21]", "[20, 21]", "[21]", "[30, 31, 32]"), List.copyOf(seen.keySet()));
        for (int n : seen.values()) {
            assertEquals(draws / 5.0, n, 4 * Math.sqrt(draws * 0.2 * 0.8), seen.toString()); // 4 sigma
        }
        assertEquals(9, TEXT.length());
    }

    @Test
    void aPassageLongerThanTheTextIsTheTextAndAWordLongerThanThePassageIsCut() {
        assertArrayEquals(new int[] {10, 11, 12, 20, 21, 30, 31, 32, 33}, TEXT.passage(20, new Random(2)));
        assertArrayEquals(new int[] {10, 11, 12, 20, 21, 30, 31, 32, 33}, TEXT.passage(9, new Random(2)));
        // one 4-piece word, then a word: 2 pieces fit only from position 0, and no word ends inside them
        RunningText longWord = new RunningText(List.of(s(new int[] {40, 41, 42, 43, 50}, true, false, false, false, true)));
        for (int seed = 0; seed < 5; seed++) {
            assertArrayEquals(new int[] {40, 41}, longWord.passage(2, new Random(seed)));
        }
        // a sentence's first piece starts a word even when not marked (a sentence cut to the tokenizer's limit)
        RunningText unmarked = new RunningText(List.of(s(new int[] {1, 2}, false, true), s(new int[] {3}, false)));
        assertArrayEquals(new int[] {1, 2, 3}, unmarked.passage(3, new Random(3)));
        assertTrue(List.of("[1]", "[2]", "[3]").contains(java.util.Arrays.toString(unmarked.passage(1, new Random(4)))));
    }
}
