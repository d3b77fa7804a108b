package org.sonarllm.onnx.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.generate.GeneratedSentence;
import org.sonarllm.generate.GenerationOptions;
import org.sonarllm.generate.GenerationResult;
import org.sonarllm.generate.StopCriterion;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.testing.TinyA;

/**
 * tiny-a's expected cases b-g asserted on any bundle loaded as {@link SonarLlm}, with the fixture's
 * tolerances (embeddings 1e-4, logits 1e-3, predictions 1e-4, beam score 1e-4; ids and texts exact), so
 * every way of producing a bundle (each checkpoint layout, format 1 and 2) is held to the same values.
 * Shipped in sonarllm-onnx's test-jar.
 *
 * <pre>{@code
 * try (SonarLlm llm = SonarLlm.load(bundle)) { TinyACases.all(llm); }
 * }</pre>
 */
public final class TinyACases {
    private TinyACases() {}

    /** Runs b, c, d, e and, when the bundle has a concept LM, f and g. @param llm the bundle */
    public static void all(SonarLlm llm) {
        caseB(llm);
        caseC(llm);
        caseD(llm);
        caseE(llm);
        if (llm.hasConceptLm()) {
            caseF(llm);
            caseG(llm);
        }
    }

    /** @param a values @param b values @return the largest absolute difference */
    public static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    /** @return case b's encoder inputs without their padding (the positions its attention mask keeps) */
    public static List<int[]> encoderIds() {
        JsonNode b = TinyA.expected().get("b_encoder");
        List<int[]> ids = new ArrayList<>();
        for (int r = 0; r < b.get("input_ids").size(); r++) {
            int[] row = TinyA.ints(b.get("input_ids").get(r));
            int[] mask = TinyA.ints(b.get("attention_mask").get(r));
            int n = 0;
            for (int i = 0; i < row.length; i++) {
                if (mask[i] == 1) {
                    row[n++] = row[i];
                }
            }
            ids.add(Arrays.copyOf(row, n));
        }
        return ids;
    }

    /** Case b: embeddings from text and from ids, and the recorded eos embedding. @param llm the bundle */
    public static void caseB(SonarLlm llm) {
        JsonNode b = TinyA.expected().get("b_encoder");
        float[][] exp = TinyA.floats2(b.get("embeddings"));
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < exp.length; i++) {
            texts.add(TinyA.expected().get("a_tokenization").get("cases").get(i).get("text").asText());
        }
        List<float[]> fromIds = llm.onnxEncoder().encodeIds(encoderIds());
        List<float[]> fromText = llm.encoder().encode(texts, Language.ENGLISH);
        for (int i = 0; i < exp.length; i++) {
            assertTrue(maxDiff(fromIds.get(i), exp[i]) < 1e-4, "ids row " + i);
            assertTrue(maxDiff(fromText.get(i), exp[i]) < 1e-4, "text row " + i + ": " + texts.get(i));
        }
        assertTrue(maxDiff(llm.manifest().eosEmbedding(), TinyA.floats(b.get("eos_embedding"))) < 1e-4, "eos embedding");
    }

    /** Case c: teacher-forcing logits. @param llm the bundle @return the largest difference */
    public static double caseC(SonarLlm llm) {
        JsonNode c = TinyA.expected().get("c_teacher_forcing");
        float[][] emb = TinyA.floats2(c.get("embeddings"));
        List<int[]> in = new ArrayList<>();
        for (JsonNode r : c.get("decoder_input_ids")) {
            in.add(TinyA.ints(r));
        }
        float[][][] got = llm.onnxDecoder().logits(List.of(emb), in);
        double m = 0;
        for (int i = 0; i < got.length; i++) {
            for (int t = 0; t < got[i].length; t++) {
                m = Math.max(m, maxDiff(got[i][t], TinyA.floats(c.get("logits").get(i).get(t))));
            }
        }
        assertTrue(m < 1e-3, "max logit diff " + m);
        return m;
    }

    /** Case d: greedy ids and texts, with and without the KV cache. @param llm the bundle */
    public static void caseD(SonarLlm llm) {
        JsonNode d = TinyA.expected().get("d_greedy");
        JsonNode cases = d.get("cases");
        List<float[]> embs = new ArrayList<>();
        for (JsonNode k : cases) {
            embs.add(TinyA.floats(k.get("embedding")));
        }
        int max = d.has("max_new_tokens") ? d.get("max_new_tokens").asInt() : 20;
        for (boolean kv : new boolean[] {true, false}) {
            List<DecodedSentence> out = llm.onnxDecoder().decode(embs, Language.ENGLISH,
                    DecodingOptions.greedy().withMaxTokens(max), kv);
            for (int i = 0; i < embs.size(); i++) {
                assertArrayEquals(TinyA.ints(cases.get(i).get("generated_ids")), out.get(i).ids(), "case " + i);
                assertEquals(cases.get(i).get("text").asText(), out.get(i).text());
            }
        }
    }

    /** @return case e's cases (one object, or the list under "cases") */
    public static List<JsonNode> caseECases() {
        JsonNode e = TinyA.expected().get("e_beam");
        List<JsonNode> list = new ArrayList<>();
        if (e.has("cases")) {
            e.get("cases").forEach(list::add);
        } else {
            list.add(e);
        }
        return list;
    }

    /** Case e: the best beam hypothesis (ids, score, text). @param llm the bundle */
    public static void caseE(SonarLlm llm) {
        for (JsonNode k : caseECases()) {
            float[] emb = TinyA.floats(k.get("embedding"));
            DecodedSentence best = llm.decoder().decode(emb, Language.ENGLISH, DecodingOptions.beam(5).withMaxTokens(20));
            assertArrayEquals(TinyA.ints(k.get("best_ids")), best.ids());
            assertEquals(k.get("best_score").asDouble(), best.score(), 1e-4);
            assertEquals(k.get("best_text").asText(), best.text());
        }
    }

    /** Case f: concept-LM predictions. @param llm a bundle with a concept LM */
    public static void caseF(SonarLlm llm) {
        JsonNode f = TinyA.expected().get("f_concept_lm");
        float[][] inputs = TinyA.floats2(f.get("input_embeddings"));
        float[][] expected = TinyA.floats2(f.get("predicted"));
        double tol = TinyA.expected().get("tolerances").get("concept_lm_abs").asDouble();
        List<float[]> got = llm.conceptLm().predictAll(Arrays.asList(inputs));
        for (int t = 0; t < expected.length; t++) {
            assertTrue(maxDiff(expected[t], got.get(t)) <= tol, "prediction " + t);
        }
    }

    /** Case g: the greedy generation loop, step by step. @param llm a bundle with a concept LM */
    public static void caseG(SonarLlm llm) {
        JsonNode g = TinyA.expected().get("g_generation");
        double tolEmb = TinyA.expected().get("tolerances").get("embeddings_abs").asDouble();
        List<String> prompt = new ArrayList<>();
        g.get("prompt").forEach(n -> prompt.add(n.asText()));
        GenerationOptions o = GenerationOptions.builder()
                .decoding(DecodingOptions.greedy().withMaxTokens(g.get("max_new_tokens").asInt()))
                .stopCriterion(StopCriterion.eosCosineAtLeast(g.get("threshold").asDouble())
                        .or(StopCriterion.maxSentences(g.get("max_generated_sentences").asInt())))
                .build();
        GenerationResult r = llm.generator().generateSentences(prompt, o, s -> { });
        JsonNode steps = g.get("steps");
        assertEquals(steps.size(), r.sentences().size());
        for (int k = 0; k < steps.size(); k++) {
            GeneratedSentence s = r.sentences().get(k);
            assertTrue(maxDiff(TinyA.floats(steps.get(k).get("predicted_embedding")), s.predictedEmbedding()) < tolEmb,
                    "predicted " + k);
            assertArrayEquals(TinyA.ints(steps.get(k).get("generated_ids")), s.ids(), "ids " + k);
            assertEquals(steps.get(k).get("text").asText(), s.text(), "text " + k);
        }
        assertEquals(g.get("full_text").asText(), r.text());
    }
}
