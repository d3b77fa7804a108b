package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;
import org.sonarllm.predict.ConceptLMBatch;
import org.sonarllm.predict.ConceptLMSession;

/**
 * Several sequences of different lengths in one concept-LM call (position_ids + attention_mask):
 * prefixes of tiny-a case f against its expected predictions, other rows against one-row sessions.
 */
class OnnxConceptLmBatchTest {
    private static OrtConceptLm lm;
    private static float[][] inputs;
    private static float[][] expected;
    private static double tol;

    @BeforeAll
    static void convert() {
        CaseF f = CaseF.load();
        lm = (OrtConceptLm) OnnxConceptLm.open(f.model(), 8, RuntimeOptions.defaults());
        inputs = f.inputs();
        expected = f.expected();
        tol = f.tol();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    private static void assertClose(float[] e, float[] g, double tolerance, String what) {
        assertEquals(e.length, g.length, what);
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], g[i], tolerance, what + " col " + i);
        }
    }

    private static List<float[]> prefix(int n) {
        return Arrays.asList(inputs).subList(0, n);
    }

    private static float[] session(List<float[]> seq) {
        try (ConceptLMSession s = lm.newSession()) {
            List<float[]> p = s.append(seq);
            return p.get(p.size() - 1);
        }
    }

    @Test
    void raggedRowsPredictAsTheirOwnSequences() {
        assertTrue(lm.ragged, "a freshly converted graph has attention_mask and position_ids");
        float[] other = inputs[3].clone();
        try (ConceptLMBatch b = lm.newBatch(3)) {
            List<float[]> p = b.append(List.of(prefix(4), prefix(2), prefix(1)));
            assertClose(expected[3], p.get(0), tol, "row 0 after 4");
            assertClose(expected[1], p.get(1), tol, "row 1 after 2");
            assertClose(expected[0], p.get(2), tol, "row 2 after 1");
            // one vector each, then two for row 2 only (ragged again)
            p = b.append(List.of(List.of(inputs[4]), List.of(inputs[2]), List.of(inputs[1])));
            assertClose(expected[4], p.get(0), tol, "row 0 after 5");
            assertClose(expected[2], p.get(1), tol, "row 1 after 3");
            assertClose(expected[1], p.get(2), tol, "row 2 after 2");
            p = b.append(List.of(List.of(other), List.of(inputs[3]), List.of(inputs[2], inputs[3])));
            List<float[]> row0 = new ArrayList<>(prefix(5));
            row0.add(other);
            assertClose(session(row0), p.get(0), 1e-5, "row 0 after 6 (against a session)");
            assertClose(expected[3], p.get(1), tol, "row 1 after 4");
            assertClose(expected[3], p.get(2), tol, "row 2 after 4");
            assertEquals(List.of(6, 4, 4), List.of(b.length(0), b.length(1), b.length(2)));
            // row 0 leaves; the others swap places and go on
            b.retain(new int[] {2, 1});
            assertEquals(2, b.size());
            p = b.append(List.of(List.of(inputs[4]), List.of(other)));
            assertClose(expected[4], p.get(0), tol, "old row 2 after 5");
            List<float[]> row1 = new ArrayList<>(prefix(4));
            row1.add(other);
            assertClose(session(row1), p.get(1), 1e-5, "old row 1 after 5");
            b.retain(new int[] {1});
            p = b.append(List.of(List.of(inputs[0])));
            row1.add(inputs[0]);
            assertClose(session(row1), p.get(0), 1e-5, "old row 1 after 6");
        }
        assertEquals(0, lm.openCaches(), "batch and sessions released");
    }

    @Test
    void oneRowBatchEqualsASessionExactly() {
        try (ConceptLMBatch b = lm.newBatch(1); ConceptLMSession s = lm.newSession()) {
            float[] bp = b.append(List.of(prefix(3))).get(0);
            float[] sp = s.append(prefix(3)).get(2);
            assertEquals(Arrays.toString(sp), Arrays.toString(bp));
            assertEquals(2, lm.openCaches());
        }
        assertEquals(0, lm.openCaches());
    }

    @Test
    void badCallsAreRejectedAndTheContextLimitIsPerRow() {
        try (ConceptLMBatch b = lm.newBatch(2)) {
            assertThrows(InvalidInputException.class, () -> b.append(List.of(prefix(1))));
            assertThrows(InvalidInputException.class, () -> b.append(List.of(prefix(1), List.of())));
            assertThrows(InvalidInputException.class, () -> b.append(List.of(prefix(1), List.of(new float[3]))));
            assertThrows(InvalidInputException.class, () -> b.retain(new int[] {1, 1}));
            assertThrows(InvalidInputException.class, () -> b.retain(new int[] {2}));
            assertThrows(InvalidInputException.class, () -> b.length(-1));
            b.append(List.of(prefix(5), prefix(1)));
            // limit 8: row 0 holds 5 and may take 3 more, not 4; nothing changes on failure
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> b.append(List.of(prefix(4), prefix(1))));
            assertEquals("row 0 holds 5 vectors; appending 4 exceeds the context limit of 8", e.getMessage());
            assertEquals(5, b.length(0));
            List<float[]> p = b.append(List.of(prefix(3), prefix(1)));
            assertClose(session(List.of(inputs[0], inputs[0])), p.get(1), 1e-5, "row 1 after x0, x0");
            assertEquals(List.of(8, 2), List.of(b.length(0), b.length(1)));
        }
        assertThrows(InvalidInputException.class, () -> lm.newBatch(0));
        ConceptLMBatch closed = lm.newBatch(1);
        closed.close();
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.append(List.of(prefix(1))));
        assertEquals(0, lm.openCaches());
    }
}
