package org.sonarllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The FLOPs formulas on a toy shape, computed by hand. */
class FlopsModelTest {
    @Test
    void toyShapeByHand() {
        assertEquals(46.0, FlopsModel.llamaParams(1, 2, 2, 2, 4)); // 2*2*2 + 2*2*2 + 3*2*4 + 2*2, + final norm 2
        FlopsModel m = new FlopsModel(1, 2, 2, 10, 3, 1, 2, 5, 2, 1, 4, 3, 2);
        // token LLM, L=4: 2*(10 + 2*3)*4 + 4*1*2*(4*5/2) = 128 + 80
        assertEquals(208.0, m.tokenLlm(4));
        // SONAR-LLM, L=4, s=2 -> n=2: concept LM 2*5*2 + 4*1*2*(2*3/2) = 44;
        // decoder per token params 1*(4*4 + 2*4 + 2*2*4) + 2*3 = 46 -> 2*(2*46*2 + 4*1*2*(2*3/2) + 2*1*2*4) = 448;
        // encoder params 1*(4*4 + 2*2*4) = 32 -> 2*(2*32*2 + 4*1*2*2*2) = 320
        assertEquals(812.0, m.sonarLlm(4));
    }

    @Test
    void crossoverIsWhereTheCostsMeet() {
        FlopsModel m = FlopsModel.paperShapes(1024, 1536, 4224, 24, 24, 64, 60);
        long x = m.crossover();
        assertTrue(x > 60);
        assertTrue(m.sonarLlm(x) < m.tokenLlm(x));
        assertTrue(m.sonarLlm(x - 60) >= m.tokenLlm(x - 60));
    }
}
