package org.sonarllm.encode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;

class VectorsTest {
    @Test
    void cosineOfHandComputedCases() {
        assertEquals(1 / Math.sqrt(2), Vectors.cosine(new float[] {1, 0}, new float[] {1, 1}), 1e-15);
        assertEquals(-1, Vectors.cosine(new float[] {2, -4, 6}, new float[] {-1, 2, -3}), 1e-15);
        // (3*4 + 4*(-3)) = 0: orthogonal
        assertEquals(0, Vectors.cosine(new float[] {3, 4}, new float[] {4, -3}), 1e-15);
        // 1e20 squared overflows float but not the double accumulator
        assertEquals(1, Vectors.cosine(new float[] {1e20f, 1e20f}, new float[] {1, 1}), 1e-12);
        assertEquals(0, Vectors.cosine(new float[] {0, 0}, new float[] {1, 1}));
        assertThrows(InvalidInputException.class, () -> Vectors.cosine(new float[2], new float[3]));
    }
}
