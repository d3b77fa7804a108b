package org.sonarllm.training.sonar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;

class NoiseTest {
    private static final int[] IDS = {4047, 10, 11, 12, 13, 14, 15, 16, 17, 2};

    @Test
    void noNoiseIsIdentity() {
        assertArrayEquals(IDS, new Noise(0, 0, 0, 99).apply(IDS, new Random(1)));
    }

    @Test
    void localShuffleKeepsTokensAndMovesEachLessThanTheWindow() {
        Noise n = new Noise(0, 0, 3, 99);
        boolean changed = false;
        for (int seed = 0; seed < 200; seed++) {
            int[] out = n.apply(IDS, new Random(seed));
            assertEquals(IDS[0], out[0]);
            assertEquals(2, out[out.length - 1]);
            int[] a = out.clone();
            int[] b = IDS.clone();
            Arrays.sort(a);
            Arrays.sort(b);
            assertArrayEquals(b, a);
            for (int i = 1; i < out.length - 1; i++) {
                int from = out[i] - 10 + 1; // original index of this piece
                assertTrue(Math.abs(from - i) <= 2, "moved " + (from - i) + " at seed " + seed);
            }
            changed |= !Arrays.equals(out, IDS);
        }
        assertTrue(changed);
    }

    @Test
    void maskingAndDroppingRates() {
        int masked = 0;
        int kept = 0;
        int pieces = 0;
        for (int seed = 0; seed < 500; seed++) {
            long mixed = seed * 0x9E3779B97F4A7C15L + 12345; // java.util.Random's first draws correlate for adjacent seeds
            int[] m = new Noise(0, 0.25, 0, 99).apply(IDS, new Random(mixed));
            for (int i = 1; i < m.length - 1; i++) {
                masked += m[i] == 99 ? 1 : 0;
            }
            int[] d = new Noise(0.5, 0, 0, 99).apply(IDS, new Random(mixed + 1));
            kept += d.length - 2;
            pieces += IDS.length - 2;
            assertTrue(d.length >= 3);
        }
        assertEquals(0.25, masked / (double) pieces, 0.03);
        assertEquals(0.5, kept / (double) pieces, 0.04);
        assertEquals(3, new Noise(0.999, 0, 0, 99).apply(IDS, new Random(3)).length, "one piece always survives");
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(InvalidInputException.class, () -> new Noise(1.0, 0, 0, 9));
        assertThrows(InvalidInputException.class, () -> new Noise(0, 1.5, 0, 9));
        assertThrows(InvalidInputException.class, () -> new Noise(0, 0, -1, 9));
    }
}
