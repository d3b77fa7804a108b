package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Batch plans worked out by hand. */
class EncoderBatchesTest {
    private static int[][] plan(int[] sorted, int max, int budget, double waste) {
        return EncoderBatches.plan(sorted, max, budget, waste).toArray(new int[0][]);
    }

    @Test
    void sentenceCapAlone() {
        assertArrayEquals(new int[][] {{0, 2}, {2, 4}, {4, 5}}, plan(new int[] {5, 5, 5, 5, 5}, 2, 1000, 1));
    }

    @Test
    void tokenBudgetShrinksBatchesOfLongSentences() {
        // budget 40: 4 x 10 fits, a 5th would make 50; then 20-token sentences go two by two; 50 alone
        assertArrayEquals(new int[][] {{0, 4}, {4, 6}, {6, 8}, {8, 9}},
                plan(new int[] {10, 10, 10, 10, 20, 20, 20, 20, 50}, 8, 40, 1));
    }

    @Test
    void batchClosesBeforeALongSentenceWouldPadItTooMuch() {
        // budget 80: [5,5,5,5] holds 20 >= 80/4 tokens; adding 16 fits the budget (5 x 16 = 80) but its waste
        // 1 - 36/80 = 0.55 > 0.2 -> close; [16,16,17]: 3 x 17 = 51 <= 80, waste 1 - 49/51 = 0.04 -> kept
        assertArrayEquals(new int[][] {{0, 4}, {4, 7}}, plan(new int[] {5, 5, 5, 5, 16, 16, 17}, 8, 80, 0.2));
        // a batch below a quarter of the budget takes the long sentence anyway: [4, 16] (8 < 200 / 4)
        assertArrayEquals(new int[][] {{0, 2}}, plan(new int[] {4, 16}, 8, 200, 0.2));
    }

    @Test
    void wasteCountsPaddedCells() {
        int[] l = {1, 2, 3, 4};
        // [1,2] -> grid 4, [3,4] -> grid 8: 10 real of 12
        assertEquals(1 - 10.0 / 12, EncoderBatches.paddingWaste(l, List.of(new int[] {0, 2}, new int[] {2, 4})), 1e-12);
        assertEquals(0, EncoderBatches.paddingWaste(l, List.of(new int[] {0, 1}, new int[] {1, 2}, new int[] {2, 3},
                new int[] {3, 4})), 1e-12);
    }
}
