package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.onnx.convert.ConceptLmConverter;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.predict.ConceptLMSession;
import org.sonarllm.testing.TinyA;

/** tiny-a case f through the converter and the ORT runtime. */
class OnnxConceptLmTest {
    private static ConceptLM lm;
    private static float[][] inputs;
    private static float[][] expected;
    private static double tol;

    @BeforeAll
    static void convert() {
        CaseF f = CaseF.load();
        lm = OnnxConceptLm.open(f.model());
        inputs = f.inputs();
        expected = f.expected();
        tol = f.tol();
    }

    @AfterAll
    static void close() {
        lm.close();
        lm.close(); // idempotent
    }

    private static void assertRows(List<float[]> got, int from) {
        for (int t = 0; t < got.size(); t++) {
            float[] e = expected[from + t];
            float[] g = got.get(t);
            assertEquals(e.length, g.length);
            for (int i = 0; i < e.length; i++) {
                assertEquals(e[i], g[i], tol, "row " + (from + t) + " col " + i);
            }
        }
    }

    @Test
    void caseFInOneCall() {
        assertEquals(TinyA.expected().get("dims").get("sonar_dim").asInt(), lm.dimension());
        List<float[]> got = lm.predictAll(Arrays.asList(inputs));
        assertEquals(inputs.length, got.size());
        assertRows(got, 0);
    }

    @Test
    void caseFOneVectorAtATimeThroughTheCache() {
        try (ConceptLMSession s = lm.newSession()) {
            for (int t = 0; t < inputs.length; t++) {
                float[] p = s.append(inputs[t]);
                assertRows(List.of(p), t);
                assertRows(List.of(s.predictNext()), t);
                assertEquals(t + 1, s.length());
            }
        }
    }

    @Test
    void caseFInChunksAndForks() {
        try (ConceptLMSession s = lm.newSession()) {
            assertRows(s.append(List.of(inputs[0], inputs[1])), 0);
            try (ConceptLMSession fork = s.fork()) {
                assertRows(fork.append(List.of(inputs[2], inputs[3], inputs[4])), 2);
                assertEquals(5, fork.length());
                // a divergent branch on the original leaves the fork untouched and vice versa
                float[] other = inputs[4].clone();
                s.append(other);
                assertEquals(3, s.length());
                assertRows(List.of(fork.predictNext()), 4);
            }
            try (ConceptLMSession s2 = lm.newSession()) {
                s2.append(List.of(inputs[0], inputs[1], inputs[4]));
                float[] a = s.predictNext();
                float[] b = s2.predictNext();
                for (int i = 0; i < a.length; i++) {
                    assertEquals(b[i], a[i], 1e-5);
                }
            }
        }
    }

    @Test
    void concurrentSessionsAgree() throws Exception {
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int k = 0; k < 4; k++) {
            Thread th = new Thread(() -> {
                try {
                    for (int rep = 0; rep < 5; rep++) {
                        try (ConceptLMSession s = lm.newSession()) {
                            for (int t = 0; t < inputs.length; t++) {
                                assertRows(List.of(s.append(inputs[t])), t);
                            }
                        }
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        assertTrue(errors.isEmpty(), errors.toString());
    }

    @Test
    void badInputIsRejected() {
        try (ConceptLMSession s = lm.newSession()) {
            assertThrows(IllegalStateException.class, s::predictNext);
            assertThrows(InvalidInputException.class, () -> s.append(new float[3]));
            float[] nan = inputs[0].clone();
            nan[5] = Float.NaN;
            assertThrows(InvalidInputException.class, () -> s.append(nan));
            assertThrows(InvalidInputException.class, () -> s.append(List.of()));
            assertEquals(0, s.length());
            s.close();
            s.close();
            assertThrows(IllegalStateException.class, () -> s.append(inputs[0]));
        }
    }

    @Test
    void contextLimitIsEnforced() throws Exception {
        Path out = org.sonarllm.testing.TempDirs.create("clm2").resolve("c.onnx");
        ConceptLmConverter.convert(TinyA.dir().resolve("sonar_llm"), out);
        try (ConceptLM small = OnnxConceptLm.open(out, 3, org.sonarllm.onnx.runtime.RuntimeOptions.defaults()); ConceptLMSession s = small.newSession()) {
            assertEquals(3, small.contextLimit());
            s.append(List.of(inputs[0], inputs[1]));
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> s.append(List.of(inputs[2], inputs[3])));
            assertTrue(e.getMessage().contains("3"), e.getMessage());
            assertEquals(2, s.length());
            assertRows(List.of(s.append(inputs[2])), 2);
        }
        ConceptLM closed = OnnxConceptLm.open(out);
        ConceptLMSession orphan = closed.newSession();
        closed.close();
        assertThrows(IllegalStateException.class, () -> orphan.append(inputs[0]));
        assertThrows(IllegalStateException.class, closed::newSession);
        orphan.close();
        assertEquals(OnnxConceptLm.DEFAULT_CONTEXT_LIMIT, lm.contextLimit()); // config says 131072
    }

    @Test
    void missingOrForeignFilesAreModelFormatErrors() throws Exception {
        Path dir = org.sonarllm.testing.TempDirs.create("clm3");
        assertThrows(ModelFormatException.class, () -> OnnxConceptLm.open(dir.resolve("none.onnx")));
        Path junk = dir.resolve("junk.onnx");
        Files.write(junk, new byte[] {1, 2, 3, 4});
        assertThrows(ModelFormatException.class, () -> OnnxConceptLm.open(junk));
        assertThrows(ModelFormatException.class, () -> ConceptLmConverter.convert(dir, dir.resolve("x.onnx")));
    }
}
