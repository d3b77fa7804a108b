package org.sonarllm.onnx.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.onnx.runtime.OnnxConceptLm;
import org.sonarllm.onnx.testing.MemoryTensors;
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.predict.ConceptLMSession;
import org.sonarllm.testing.TinyA;

/**
 * Shapes tiny-a does not cover, checked by exact functional equivalences: a grouped-query model
 * equals the multi-head model whose key/value heads are copies; a model with heads x head_dim below
 * hidden equals the full model whose extra heads have zero output-projection columns.
 */
class ConceptLmGraphShapesTest {
    private static SafeTensors st;
    private static ConceptLMConfig base;
    private static List<float[]> inputs;

    @BeforeAll
    static void open() {
        st = SafeTensors.open(TinyA.dir().resolve("sonar_llm/model.safetensors"));
        base = ConceptLMConfig.read(TinyA.dir().resolve("sonar_llm/config.json"));
        inputs = Arrays.asList(TinyA.floats2(TinyA.expected().get("f_concept_lm").get("input_embeddings")));
    }

    @AfterAll
    static void close() {
        st.close();
    }

    private static ConceptLMConfig with(int heads, int kvHeads) {
        return new ConceptLMConfig(base.sonarDim(), base.hidden(), base.layers(), heads, kvHeads, base.headDim(),
                base.intermediate(), base.ropeTheta(), base.ropeScaling(), base.rmsEps(), base.maxPositions());
    }

    /** Supplies a tensor by key and expected shape (weights transformed in memory). */
    private interface Weights {
        float[] get(String key, long... shape);
    }

    private static List<float[]> run(ConceptLMConfig c, Weights w, boolean stepwise) throws Exception {
        MemoryTensors m = new MemoryTensors();
        c.parameterShapes().forEach((key, shape) -> m.put(key, w.get(key, shape), shape));
        OnnxGraphBuilder g = new OnnxGraphBuilder("t");
        ConceptLmGraph.build(g, c, GraphWeights.inline(m));
        Path f = org.sonarllm.testing.TempDirs.create("shape").resolve("m.onnx");
        g.write(f);
        try (ConceptLM lm = OnnxConceptLm.open(f)) {
            if (!stepwise) {
                return lm.predictAll(inputs);
            }
            try (ConceptLMSession s = lm.newSession()) {
                return inputs.stream().map(s::append).toList();
            }
        }
    }

    /** Rows [from, from+n) of a [rows, cols] matrix. */
    private static float[] rows(float[] m, int cols, int from, int n) {
        return Arrays.copyOfRange(m, from * cols, (from + n) * cols);
    }

    private static void assertSame(List<float[]> a, List<float[]> b) {
        assertEquals(a.size(), b.size());
        for (int t = 0; t < a.size(); t++) {
            for (int i = 0; i < a.get(t).length; i++) {
                assertEquals(a.get(t)[i], b.get(t)[i], 2e-5, "row " + t + " col " + i);
            }
        }
    }

    @Test
    void groupedQueryAttentionEqualsRepeatedHeads() throws Exception {
        int hd = base.headDim();
        int hidden = base.hidden();
        ConceptLMConfig gqa = with(base.heads(), base.heads() / 2);
        Weights gqaW = (key, shape) -> {
            if (key.endsWith("k_proj.weight") || key.endsWith("v_proj.weight")) {
                return rows(st.floats(key), hidden, 0, (int) shape[0]); // kv heads 0..K-1 of tiny-a
            }
            return st.floats(key);
        };
        Weights mhaW = (key, shape) -> {
            if (key.endsWith("k_proj.weight") || key.endsWith("v_proj.weight")) {
                float[] src = st.floats(key);
                float[] out = new float[(int) (shape[0] * shape[1])];
                for (int h = 0; h < base.heads(); h++) { // head h uses kv head h / 2
                    System.arraycopy(src, (h / 2) * hd * hidden, out, h * hd * hidden, hd * hidden);
                }
                return out;
            }
            return st.floats(key);
        };
        assertSame(run(base, mhaW, false), run(gqa, gqaW, false));
        assertSame(run(base, mhaW, false), run(gqa, gqaW, true));
    }

    @Test
    void headsTimesHeadDimMayDifferFromHidden() throws Exception {
        int hd = base.headDim();
        int hidden = base.hidden();
        int keep = base.heads() / 2;
        ConceptLMConfig narrow = with(keep, keep);
        Weights narrowW = (key, shape) -> {
            if (key.matches(".*\\.[qkv]_proj\\.weight")) {
                return rows(st.floats(key), hidden, 0, keep * hd);
            }
            if (key.endsWith("o_proj.weight")) { // [hidden, heads*hd]: first keep*hd columns
                float[] src = st.floats(key);
                float[] out = new float[hidden * keep * hd];
                for (int r = 0; r < hidden; r++) {
                    System.arraycopy(src, r * base.heads() * hd, out, r * keep * hd, keep * hd);
                }
                return out;
            }
            return st.floats(key);
        };
        Weights zeroedW = (key, shape) -> {
            float[] w = st.floats(key);
            if (key.endsWith("o_proj.weight")) {
                for (int r = 0; r < hidden; r++) {
                    Arrays.fill(w, r * base.heads() * hd + keep * hd, (r + 1) * base.heads() * hd, 0f);
                }
            }
            return w;
        };
        assertSame(run(base, zeroedW, false), run(narrow, narrowW, false));
        assertSame(run(base, zeroedW, false), run(narrow, narrowW, true));
    }
}
