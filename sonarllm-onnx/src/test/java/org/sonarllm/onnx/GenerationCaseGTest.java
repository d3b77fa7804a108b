package org.sonarllm.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.generate.BatchOptions;
import org.sonarllm.generate.FeedbackMode;
import org.sonarllm.generate.GeneratedSentence;
import org.sonarllm.generate.GenerationListener;
import org.sonarllm.generate.GenerationOptions;
import org.sonarllm.generate.GenerationResult;
import org.sonarllm.generate.Generator;
import org.sonarllm.generate.StopCriterion;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.segment.Segment;
import org.sonarllm.testing.TinyA;

/** tiny-a case g end to end: converter -> bundle -> SonarLlm.generator(). */
class GenerationCaseGTest extends CaseGBase {
    private static GenerationOptions options(double threshold) {
        return GenerationOptions.builder()
                .decoding(DecodingOptions.greedy().withMaxTokens(g.get("max_new_tokens").asInt()))
                .stopCriterion(StopCriterion.eosCosineAtLeast(threshold)
                        .or(StopCriterion.maxSentences(g.get("max_generated_sentences").asInt())))
                .build();
    }

    private static List<String> prompt() {
        List<String> p = new ArrayList<>();
        g.get("prompt").forEach(n -> p.add(n.asText()));
        return p;
    }

    private static void assertClose(float[] expected, float[] got, double tol, String what) {
        assertEquals(expected.length, got.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], tol, what + "[" + i + "]");
        }
    }

    private static List<String> outputSentences(GenerationResult r) {
        List<String> all = new ArrayList<>(r.prompt().stream().map(Segment::text).toList());
        r.sentences().forEach(s -> all.add(s.text()));
        return all;
    }

    @Test
    void caseGGreedyGenerationStepByStep() {
        List<GeneratedSentence> streamed = new ArrayList<>();
        GenerationResult r = llm.generator().generateSentences(prompt(), options(g.get("threshold").asDouble()),
                streamed::add);
        for (int i = 0; i < r.promptEmbeddings().size(); i++) {
            assertClose(TinyA.floats(g.get("prompt_embeddings").get(i)), r.promptEmbeddings().get(i), tolEmb, "prompt " + i);
        }
        JsonNode steps = g.get("steps");
        assertEquals(steps.size(), r.sentences().size());
        for (int k = 0; k < steps.size(); k++) {
            JsonNode e = steps.get(k);
            GeneratedSentence s = r.sentences().get(k);
            assertClose(TinyA.floats(e.get("predicted_embedding")), s.predictedEmbedding(), tolEmb, "predicted " + k);
            assertArrayEquals(TinyA.ints(e.get("generated_ids")), s.ids(), "ids " + k);
            assertEquals(e.get("text").asText(), s.text(), "text " + k);
            assertClose(TinyA.floats(e.get("reencoded_embedding")), s.feedbackEmbedding(), tolEmb, "reencoded " + k);
            assertEquals(e.get("cosine_reencoded_to_eos").asDouble(), s.eosCosine(), tolCos, "eos cosine " + k);
            assertEquals(e.get("cosine_predicted_to_eos").asDouble(), s.predictedEosCosine(), tolCos, "pred cosine " + k);
            assertFalse(e.get("stop").asBoolean());
        }
        assertEquals("max_sentences", g.get("stop_reason").asText());
        assertEquals(StopCriterion.MAX_SENTENCES, r.stopReason());
        List<String> expectedOut = new ArrayList<>();
        g.get("output_sentences").forEach(n -> expectedOut.add(n.asText()));
        assertEquals(expectedOut, outputSentences(r));
        assertEquals(g.get("full_text").asText(), r.text());
        assertEquals(r.sentences(), streamed);
        assertTrue(r.timings().total().compareTo(r.timings().decode()) >= 0);
    }

    @Test
    void caseGThresholdVariantStopsAndDropsTheSentence() {
        JsonNode v = g.get("threshold_variant");
        GenerationResult r = llm.generator().generateSentences(prompt(), options(v.get("threshold").asDouble()),
                GenerationListener.NONE);
        assertEquals(v.get("generated_sentences_kept").asInt(), r.sentences().size());
        // the fixture names the reason "eos_cosine"; the API's constant for the same criterion is "eos"
        assertEquals("eos_cosine", v.get("stop_reason").asText());
        assertEquals(StopCriterion.EOS, r.stopReason());
        List<String> expectedOut = new ArrayList<>();
        v.get("output_sentences").forEach(n -> expectedOut.add(n.asText()));
        assertEquals(expectedOut, outputSentences(r));
    }

    @Test
    void eosVectorIsTheEncodedEndSentence() {
        assertClose(TinyA.floats(TinyA.expected().get("b_encoder").get("eos_embedding")),
                llm.manifest().eosEmbedding(), tolEmb, "eos");
    }

    @Test
    void rawPromptIsSegmentedIntoTheSameSentences() {
        String text = String.join(" ", prompt());
        GenerationResult seg = llm.generator().generate(text, options(g.get("threshold").asDouble()));
        assertEquals(prompt(), seg.prompt().stream().map(Segment::text).toList());
        assertEquals(g.get("full_text").asText(), seg.text());
    }

    @Test
    void concurrentGenerationsMatchTheSequentialOne() throws Exception {
        Generator gen = llm.generator();
        GenerationOptions o = options(g.get("threshold").asDouble());
        List<GeneratedSentence> expected = gen.generateSentences(prompt(), o, GenerationListener.NONE).sentences();
        List<Thread> threads = new ArrayList<>();
        List<Object> results = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                try {
                    results.add(gen.generateSentences(prompt(), o, GenerationListener.NONE).sentences());
                } catch (Throwable e) {
                    results.add(e);
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        assertEquals(4, results.size());
        for (Object res : results) {
            assertEquals(expected, res);
        }
        // one prompt after another on 2 threads (batched generateAll: BatchedGenerationCaseGTest)
        Generator sequential = llm.generator(BatchOptions.of(1, 2));
        List<GenerationResult> batch = sequential.generateAll(List.of(String.join(" ", prompt()), "It rained."), o);
        assertEquals(expected, batch.get(0).sentences());
        assertEquals(gen.generate("It rained.", o).sentences(), batch.get(1).sentences());
    }

    @Test
    void predictedEmbeddingFeedbackAppendsThePrediction() {
        GenerationOptions o = options(1.0).toBuilder().feedback(FeedbackMode.PREDICTED_EMBEDDING).build();
        GenerationResult r = llm.generator().generateSentences(prompt(), o, GenerationListener.NONE);
        assertEquals(3, r.sentences().size());
        // step 0 is case g's; later predictions must be the concept LM's output after the earlier predictions
        assertClose(TinyA.floats(g.get("steps").get(0).get("predicted_embedding")),
                r.sentences().get(0).predictedEmbedding(), tolEmb, "step 0");
        List<float[]> seq = new ArrayList<>(r.promptEmbeddings());
        for (GeneratedSentence s : r.sentences()) {
            List<float[]> all = llm.conceptLm().predictAll(seq);
            assertClose(all.get(all.size() - 1), s.predictedEmbedding(), 1e-5, "step " + s.index());
            assertArrayEquals(s.predictedEmbedding(), s.feedbackEmbedding());
            seq.add(s.predictedEmbedding());
        }
    }

    @Test
    void samplingIsReproducibleBySeed() {
        GenerationOptions o = options(1.0).toBuilder()
                .decoding(DecodingOptions.sampling(1.0, 0, 1.0, 1234L).withMaxTokens(16)).build();
        List<GeneratedSentence> a = llm.generator().generateSentences(prompt(), o, GenerationListener.NONE).sentences();
        List<GeneratedSentence> b = llm.generator().generateSentences(prompt(), o, GenerationListener.NONE).sentences();
        assertEquals(3, a.size());
        assertEquals(a, b);
    }

    @Test
    void badInputAndBundlesWithoutConceptLm() {
        Generator gen = llm.generator();
        assertThrows(InvalidInputException.class, () -> gen.generate(" \t\n"));
        GenerationOptions tight = options(0.98).toBuilder().contextLimit(2).build();
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> gen.generateSentences(List.of("A.", "B.", "C."), tight, GenerationListener.NONE));
        assertTrue(e.getMessage().contains("3") && e.getMessage().contains("2"), e.getMessage());
        try (SonarLlm plain = SonarLlm.load(TinyABundle.get())) {
            assertFalse(plain.hasConceptLm());
            ModelFormatException m = assertThrows(ModelFormatException.class, plain::generator);
            assertTrue(m.getMessage().contains("concept_lm"), m.getMessage());
        }
    }
}
