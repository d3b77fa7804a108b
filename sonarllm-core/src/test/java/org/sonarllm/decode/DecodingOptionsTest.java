package org.sonarllm.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;

/** Every count has a documented range, enforced before any work is done. */
class DecodingOptionsTest {
    @Test
    void beamSizeIsBounded() {
        assertEquals(DecodingStrategy.Beam.MAX_SIZE, ((DecodingStrategy.Beam) DecodingOptions.beam(64).strategy()).size());
        for (int bad : new int[] {0, -3, 65, 100_000}) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> DecodingOptions.beam(bad));
            assertEquals("expected a beam size in 1..64, found " + bad, e.getMessage());
        }
    }

    @Test
    void tokenLimitAndTopKAreBounded() {
        assertThrows(InvalidInputException.class, () -> DecodingOptions.greedy().withMaxTokens(0));
        assertThrows(InvalidInputException.class, () -> DecodingOptions.greedy().withMaxTokens(4097));
        assertEquals(4096, DecodingOptions.greedy().withMaxTokens(4096).maxTokens());
        assertThrows(InvalidInputException.class, () -> DecodingOptions.sampling(1, -1, 1, 0));
        assertThrows(InvalidInputException.class, () -> DecodingOptions.sampling(1, (1 << 20) + 1, 1, 0));
        assertThrows(InvalidInputException.class, () -> DecodingOptions.sampling(Double.NaN, 0, 1, 0));
        assertThrows(InvalidInputException.class, () -> DecodingOptions.sampling(1, 0, 0, 0));
    }
}
