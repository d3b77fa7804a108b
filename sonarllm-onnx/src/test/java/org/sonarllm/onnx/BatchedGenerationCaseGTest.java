package org.sonarllm.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.generate.BatchOptions;
import org.sonarllm.generate.GeneratedSentence;
import org.sonarllm.generate.GenerationListener;
import org.sonarllm.generate.GenerationOptions;
import org.sonarllm.generate.GenerationResult;
import org.sonarllm.generate.Generator;
import org.sonarllm.generate.SentenceSampling;
import org.sonarllm.generate.SonarLlmGenerator;
import org.sonarllm.generate.StopRules;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.predict.ConceptLMBatch;
import org.sonarllm.predict.ConceptLMSession;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.testing.TinyA;

/**
 * Batched {@code generateAll} on tiny-a equals one prompt at a time (texts and ids exact, vectors and
 * cosines within case g's tolerances), for several batch sizes, thread counts and decodings; and
 * {@code generateAsync} with a cancel on the real runtime.
 */
class BatchedGenerationCaseGTest extends CaseGBase {
    private static GenerationOptions options(double threshold, int maxSentences) {
        return GenerationOptions.builder()
                .decoding(DecodingOptions.greedy().withMaxTokens(g.get("max_new_tokens").asInt()))
                .stopCriterion(StopRules.paper().withEos(StopRules.EosTest.REENCODED, threshold)
                        .withMaxSentences(maxSentences))
                .build();
    }

    private static String caseGPrompt() {
        List<String> p = new ArrayList<>();
        g.get("prompt").forEach(n -> p.add(n.asText()));
        return String.join(" ", p);
    }

    /** Prompts of 1 to 4 sentences; case g's first. */
    private static List<String> prompts() {
        return List.of(caseGPrompt(), "It rained.", "She had not gone far before she met Mr. Darcy.",
                "The morning was fine. It rained. She walked out alone.", "Mr. Darcy bowed.",
                "It rained. It rained again. The roads were bad. Nobody came.", "Elizabeth laughed.",
                "A letter came. It was from Jane.");
    }

    private static void assertClose(float[] e, float[] got, double tol, String what) {
        assertEquals(e.length, got.length, what);
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], got[i], tol, what + "[" + i + "]");
        }
    }

    private static void assertSameRun(GenerationResult e, GenerationResult got, String what) {
        assertEquals(e.stopReason(), got.stopReason(), what);
        assertEquals(e.sentences().size(), got.sentences().size(), what);
        for (int k = 0; k < e.sentences().size(); k++) {
            GeneratedSentence a = e.sentences().get(k);
            GeneratedSentence b = got.sentences().get(k);
            assertEquals(a.text(), b.text(), what + " text " + k);
            assertArrayEquals(a.ids(), b.ids(), what + " ids " + k);
            assertClose(a.predictedEmbedding(), b.predictedEmbedding(), tolEmb, what + " predicted " + k);
            assertClose(a.feedbackEmbedding(), b.feedbackEmbedding(), tolEmb, what + " reencoded " + k);
            assertEquals(a.eosCosine(), b.eosCosine(), tolCos, what + " eos cosine " + k);
        }
    }

    private static void assertBatchesMatch(GenerationOptions o, List<BatchOptions> batchings) {
        Generator one = llm.generator(BatchOptions.SEQUENTIAL);
        List<GenerationResult> expected = new ArrayList<>();
        for (String p : prompts()) {
            expected.add(one.generate(p, o));
        }
        for (BatchOptions b : batchings) {
            List<GenerationResult> got = llm.generator(b).generateAll(prompts(), o);
            for (int i = 0; i < got.size(); i++) {
                assertSameRun(expected.get(i), got.get(i), b + " prompt " + i);
            }
        }
    }

    @Test
    void batchedCaseGEqualsTheFixtureAndSingleCalls() {
        GenerationOptions o = options(g.get("threshold").asDouble(), g.get("max_generated_sentences").asInt());
        List<GenerationResult> all = llm.generator(BatchOptions.of(8, 1)).generateAll(prompts(), o);
        JsonNode steps = g.get("steps");
        GenerationResult caseG = all.get(0);
        assertEquals(steps.size(), caseG.sentences().size());
        for (int k = 0; k < steps.size(); k++) {
            JsonNode e = steps.get(k);
            GeneratedSentence s = caseG.sentences().get(k);
            assertEquals(e.get("text").asText(), s.text(), "text " + k);
            assertArrayEquals(TinyA.ints(e.get("generated_ids")), s.ids(), "ids " + k);
            assertClose(TinyA.floats(e.get("predicted_embedding")), s.predictedEmbedding(), tolEmb, "predicted " + k);
            assertClose(TinyA.floats(e.get("reencoded_embedding")), s.feedbackEmbedding(), tolEmb, "reencoded " + k);
            assertEquals(e.get("cosine_reencoded_to_eos").asDouble(), s.eosCosine(), tolCos, "eos cosine " + k);
        }
        assertEquals(g.get("full_text").asText(), caseG.text());
        assertBatchesMatch(o, List.of(BatchOptions.of(8, 1), BatchOptions.of(3, 1), BatchOptions.of(3, 2),
                BatchOptions.of(1, 1)));
    }

    @Test
    void rowsLeavingAtDifferentStepsDoNotDisturbTheOthers() {
        // case g's threshold variant stops its prompt at step 1; the others stop where they stop
        GenerationOptions o = options(g.get("threshold_variant").get("threshold").asDouble(), 6);
        List<GenerationResult> all = llm.generator(BatchOptions.of(8, 1)).generateAll(prompts(), o);
        assertEquals(g.get("threshold_variant").get("generated_sentences_kept").asInt(), all.get(0).sentences().size());
        assertTrue(all.stream().map(r -> r.sentences().size()).distinct().count() > 1, "rows stop at different steps");
        assertBatchesMatch(o, List.of(BatchOptions.of(8, 1), BatchOptions.of(5, 2)));
    }

    @Test
    void beamSearchAndSentenceSamplingBatchLikeSingleCalls() {
        GenerationOptions beam = options(0.98, 3).toBuilder().decoding(DecodingOptions.beam(3).withMaxTokens(16)).build();
        assertBatchesMatch(beam, List.of(BatchOptions.of(8, 1)));
        GenerationOptions sampled = options(0.98, 3).toBuilder()
                .decoding(DecodingOptions.sampling(0.8, 0, 0.95, 11L).withMaxTokens(16))
                .sentenceSampling(SentenceSampling.bestOf(3, 2.0, 5L)).build();
        assertBatchesMatch(sampled, List.of(BatchOptions.of(8, 1), BatchOptions.of(3, 2)));
    }

    @Test
    void concurrentBatchedCallsOnOneGeneratorAgree() throws Exception {
        GenerationOptions o = options(g.get("threshold_variant").get("threshold").asDouble(), 4);
        Generator gen = llm.generator(BatchOptions.of(4, 1));
        List<GenerationResult> expected = gen.generateAll(prompts(), o);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            List<java.util.concurrent.Future<List<GenerationResult>>> fs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                fs.add(pool.submit(() -> gen.generateAll(prompts(), o)));
            }
            for (java.util.concurrent.Future<List<GenerationResult>> f : fs) {
                List<GenerationResult> got = f.get(120, TimeUnit.SECONDS);
                for (int i = 0; i < expected.size(); i++) {
                    // same batches, same calls: identical, not merely close
                    assertEquals(expected.get(i).sentences(), got.get(i).sentences(), "prompt " + i);
                    assertEquals(expected.get(i).stopReason(), got.get(i).stopReason(), "prompt " + i);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Delegates to the bundle's concept LM and counts sessions and batches not yet closed. */
    private static final class CountingLm implements ConceptLM {
        final ConceptLM inner;
        final AtomicInteger open = new AtomicInteger();

        CountingLm(ConceptLM inner) {
            this.inner = inner;
        }

        @Override
        public int dimension() {
            return inner.dimension();
        }

        @Override
        public int contextLimit() {
            return inner.contextLimit();
        }

        @Override
        public ConceptLMSession newSession() {
            return inner.newSession();
        }

        @Override
        public ConceptLMBatch newBatch(int rows) {
            ConceptLMBatch b = inner.newBatch(rows);
            open.incrementAndGet();
            return new ConceptLMBatch() {
                private boolean closed;

                @Override
                public int size() {
                    return b.size();
                }

                @Override
                public int length(int row) {
                    return b.length(row);
                }

                @Override
                public List<float[]> append(List<List<float[]>> perRow) {
                    return b.append(perRow);
                }

                @Override
                public void retain(int[] keep) {
                    b.retain(keep);
                }

                @Override
                public void close() {
                    b.close();
                    if (!closed) {
                        closed = true;
                        open.decrementAndGet();
                    }
                }
            };
        }

        @Override
        public void close() {}
    }

    @Test
    void asyncCancelStopsTheRunReleasesTheBatchAndTheGeneratorGoesOn() throws Exception {
        CountingLm lm = new CountingLm(llm.conceptLm());
        SonarLlmGenerator gen = SonarLlmGenerator.builder().segmenter(SentenceSegmenters::forLanguage)
                .encoder(llm.encoder()).conceptLm(lm).decoder(llm.decoder()).eosEmbedding(llm.manifest().eosEmbedding())
                .build();
        GenerationOptions o = options(g.get("threshold").asDouble(), 3);
        GenerationResult sync = gen.generate(caseGPrompt(), o);
        assertEquals(g.get("full_text").asText(), sync.text());
        assertSameRun(sync, gen.generateAsync(caseGPrompt(), o, GenerationListener.NONE).get(30, TimeUnit.SECONDS),
                "async");

        // cancel from the listener, i.e. on the generating thread right after the first sentence
        AtomicReference<CompletableFuture<GenerationResult>> ref = new AtomicReference<>();
        List<String> streamed = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<GenerationResult> f = gen.generateAsync(caseGPrompt(), o, s -> {
            try {
                started.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            streamed.add(s.text());
            ref.get().cancel(true);
        });
        ref.set(f);
        started.countDown();
        CancellationException c = org.junit.jupiter.api.Assertions.assertThrows(CancellationException.class,
                () -> f.get(30, TimeUnit.SECONDS));
        assertTrue(f.isCancelled(), c.toString());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (lm.open.get() != 0 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertEquals(0, lm.open.get(), "the cancelled run closed its concept-LM batch");
        assertEquals(List.of(g.get("steps").get(0).get("text").asText()), streamed);
        assertSameRun(sync, gen.generate(caseGPrompt(), o), "after the cancel");
    }
}
