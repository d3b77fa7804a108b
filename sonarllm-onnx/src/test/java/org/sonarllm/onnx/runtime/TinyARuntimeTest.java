package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.testing.TinyA;

/** tiny-a expected.json cases b-e through the converted bundle and the public runtime API. */
class TinyARuntimeTest {
    static SonarLlm llm;

    @BeforeAll
    static void load() {
        llm = SonarLlm.load(TinyABundle.get());
    }

    @AfterAll
    static void close() {
        llm.close();
    }

    static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void caseBEmbeddingsFromTextAndFromIds() {
        JsonNode b = TinyA.expected().get("b_encoder");
        float[][] exp = TinyA.floats2(b.get("embeddings"));
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < exp.length; i++) {
            texts.add(TinyA.expected().get("a_tokenization").get("cases").get(i).get("text").asText());
        }
        List<int[]> ids = new ArrayList<>();
        for (JsonNode row : b.get("input_ids")) {
            int[] r = TinyA.ints(row);
            int n = 0;
            while (n < r.length && r[n] != 1) {
                n++;
            }
            ids.add(java.util.Arrays.copyOf(r, n));
        }
        List<float[]> fromIds = llm.onnxEncoder().encodeIds(ids);
        List<float[]> fromText = llm.encoder().encode(texts, Language.ENGLISH);
        for (int i = 0; i < exp.length; i++) {
            assertTrue(maxDiff(fromIds.get(i), exp[i]) < 1e-4, "ids row " + i);
            assertTrue(maxDiff(fromText.get(i), exp[i]) < 1e-4, "text row " + i + ": " + texts.get(i));
        }
        // eos embedding recorded by the converter
        assertTrue(maxDiff(llm.manifest().eosEmbedding(), TinyA.floats(b.get("eos_embedding"))) < 1e-4);
    }

    @Test
    void caseCTeacherForcingLogits() {
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
    }

    @Test
    void caseDGreedyIdsAndTexts() {
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

    @Test
    void caseEBeamBestAndAllHypotheses() {
        JsonNode e = TinyA.expected().get("e_beam");
        JsonNode cases = e.has("cases") ? e.get("cases") : null;
        List<JsonNode> list = new ArrayList<>();
        if (cases != null) {
            cases.forEach(list::add);
        } else {
            list.add(e);
        }
        for (JsonNode k : list) {
            float[] emb = TinyA.floats(k.get("embedding"));
            DecodedSentence best = llm.decoder().decode(emb, Language.ENGLISH, DecodingOptions.beam(5).withMaxTokens(20));
            assertArrayEquals(TinyA.ints(k.get("best_ids")), best.ids());
            assertEquals(k.get("best_score").asDouble(), best.score(), 1e-4);
            assertEquals(k.get("best_text").asText(), best.text());
            List<DecodedSentence> all = llm.onnxDecoder().decodeNBest(List.of(emb), Language.ENGLISH, 5, 1.0, 20).get(0);
            JsonNode hyps = k.get("hypotheses");
            assertEquals(hyps.size(), all.size());
            for (int i = 0; i < hyps.size(); i++) {
                assertArrayEquals(TinyA.ints(hyps.get(i).get("ids")), all.get(i).ids(), "hypothesis " + i);
                assertEquals(hyps.get(i).get("score").asDouble(), all.get(i).score(), 1e-4);
            }
        }
    }
}
