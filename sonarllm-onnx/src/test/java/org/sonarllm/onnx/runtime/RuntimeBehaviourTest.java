package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;
import org.sonarllm.lang.UnknownLanguageException;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.testing.TinyA;

class RuntimeBehaviourTest {
    static SonarLlm llm;
    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        llm = SonarLlm.load(TinyABundle.get(), RuntimeOptions.builder().encoderBatchSize(2).decoderBatchSize(3).build());
    }

    @AfterAll
    static void close() {
        llm.close();
    }

    static List<float[]> dEmbeddings() {
        List<float[]> out = new ArrayList<>();
        for (JsonNode k : TinyA.expected().get("d_greedy").get("cases")) {
            out.add(TinyA.floats(k.get("embedding")));
        }
        return out;
    }

    @Test
    void badEmbeddingsAndLanguages() {
        float[] good = dEmbeddings().get(0);
        var dec = llm.decoder();
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> dec.decode(new float[63], Language.ENGLISH, DecodingOptions.greedy()));
        assertTrue(e.getMessage().contains("expected dimension 64, found 63"), e.getMessage());
        float[] nan = good.clone();
        nan[5] = Float.NaN;
        e = assertThrows(InvalidInputException.class, () -> dec.decode(nan, Language.ENGLISH, DecodingOptions.greedy()));
        assertTrue(e.getMessage().contains("expected finite values, found NaN at index 5"), e.getMessage());
        float[] inf = good.clone();
        inf[0] = Float.POSITIVE_INFINITY;
        assertThrows(InvalidInputException.class, () -> dec.decode(List.of(good, inf), Language.ENGLISH,
                DecodingOptions.beam(2)));
        assertThrows(InvalidInputException.class, () -> dec.decode(java.util.Arrays.asList(good, null),
                Language.ENGLISH, DecodingOptions.greedy()));
        assertEquals(List.of(), dec.decode(List.of(), Language.ENGLISH, DecodingOptions.greedy()));
        assertEquals(List.of(), llm.encoder().encode(List.of(), Language.ENGLISH));
        assertThrows(InvalidInputException.class, () -> llm.encoder().encode(List.of("ok", "  "), Language.ENGLISH));
        assertThrows(InvalidInputException.class, () -> llm.encoder().encode(java.util.Arrays.asList("ok", null),
                Language.ENGLISH));
        assertThrows(UnknownLanguageException.class, () -> Language.of("english"));
        assertThrows(UnknownLanguageException.class, () -> dec.decode(good, null, DecodingOptions.greedy()));
        assertThrows(InvalidInputException.class, () -> DecodingOptions.greedy().withMaxTokens(0));
    }

    @Test
    void languageMissingFromTheBundleTable() throws Exception {
        Path b = TinyABundle.copyTo(tmp.resolve("b"));
        BundleValidationTest.editManifest(b, m -> {
            ArrayNode codes = (ArrayNode) m.get("languages").get("codes");
            for (int i = 0; i < codes.size(); i++) {
                if (codes.get(i).asText().equals("fra_Latn")) {
                    codes.set(i, com.fasterxml.jackson.databind.node.TextNode.valueOf("xxx_Xxxx"));
                }
            }
        });
        try (SonarLlm l = SonarLlm.load(b)) {
            UnknownLanguageException e = assertThrows(UnknownLanguageException.class, () -> l.decoder()
                    .decode(dEmbeddings().get(0), Language.of("fra_Latn"), DecodingOptions.greedy()));
            assertTrue(e.getMessage().contains("fra_Latn is not in this bundle's language table"), e.getMessage());
            assertThrows(UnknownLanguageException.class, () -> l.encoder().encode("Hi.", Language.of("fra_Latn")));
        }
    }

    @Test
    void cudaRequestFallsBackToCpuWhenCudaCannotStart() {
        // the test class path has the CPU-only runtime: addCUDA fails and the sessions fall back
        try (SonarLlm l = SonarLlm.load(TinyABundle.get(), RuntimeOptions.builder()
                .provider(RuntimeOptions.Provider.CUDA).intraOpThreads(1).interOpThreads(1).build())) {
            JsonNode d = TinyA.expected().get("d_greedy").get("cases").get(0);
            DecodedSentence out = l.decoder().decode(TinyA.floats(d.get("embedding")), Language.ENGLISH,
                    DecodingOptions.greedy().withMaxTokens(20));
            assertArrayEquals(TinyA.ints(d.get("generated_ids")), out.ids());
        }
        assertThrows(InvalidInputException.class, () -> RuntimeOptions.builder().intraOpThreads(-1).build());
        assertThrows(InvalidInputException.class, () -> RuntimeOptions.builder().encoderBatchSize(0).build());
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseFailsCleanly() {
        SonarLlm l = SonarLlm.load(TinyABundle.get());
        var enc = l.encoder();
        var dec = l.decoder();
        l.close();
        l.close();
        enc.close();
        dec.close();
        assertThrows(IllegalStateException.class, () -> enc.encode("Hello.", Language.ENGLISH));
        assertThrows(IllegalStateException.class, () -> dec.decode(dEmbeddings().get(0), Language.ENGLISH,
                DecodingOptions.greedy()));
    }

    @Test
    void batchedBeamEqualsSingleAndChunkingKeepsOrder() {
        List<float[]> embs = dEmbeddings();
        for (JsonNode k : TinyA.expected().get("e_beam").get("cases")) {
            embs.add(TinyA.floats(k.get("embedding")));
        }
        DecodingOptions o = DecodingOptions.beam(4).withMaxTokens(12);
        List<DecodedSentence> batch = llm.decoder().decode(embs, Language.ENGLISH, o);
        List<DecodedSentence> noCache = llm.onnxDecoder().decode(embs, Language.ENGLISH, o, false);
        for (int i = 0; i < embs.size(); i++) {
            DecodedSentence single = llm.decoder().decode(embs.get(i), Language.ENGLISH, o);
            assertArrayEquals(single.ids(), batch.get(i).ids(), "row " + i);
            assertEquals(single.score(), batch.get(i).score(), 1e-5);
            assertArrayEquals(single.ids(), noCache.get(i).ids(), "no-cache row " + i);
            assertEquals(single.score(), noCache.get(i).score(), 1e-4);
            assertTrue(single.ids().length <= 12);
            assertEquals(2, single.ids()[single.ids().length - 1], "beam always ends with </s>");
        }
        // e_beam cases also hold when decoded as one batch with other sentences
        int base = dEmbeddings().size();
        List<DecodedSentence> five = llm.decoder().decode(embs, Language.ENGLISH, DecodingOptions.beam(5).withMaxTokens(20));
        JsonNode cases = TinyA.expected().get("e_beam").get("cases");
        for (int i = 0; i < cases.size(); i++) {
            assertArrayEquals(TinyA.ints(cases.get(i).get("best_ids")), five.get(base + i).ids());
            assertEquals(cases.get(i).get("best_score").asDouble(), five.get(base + i).score(), 1e-4);
        }
    }

    @Test
    void greedyScoreIsMeanLogProbIncludingLang() {
        // beam 1 and greedy differ only in <unk> masking and the forced last </s>: for a case whose
        // greedy output ends with </s> before the limit they agree on ids and score
        JsonNode e = null;
        for (JsonNode k : TinyA.expected().get("d_greedy").get("cases")) {
            if (k.get("ended_with_eos").asBoolean()) {
                e = k;
            }
        }
        float[] v = TinyA.floats(e.get("embedding"));
        DecodedSentence g = llm.decoder().decode(v, Language.ENGLISH, DecodingOptions.greedy().withMaxTokens(20));
        DecodedSentence b1 = llm.decoder().decode(v, Language.ENGLISH, DecodingOptions.beam(1).withMaxTokens(20));
        assertArrayEquals(TinyA.ints(e.get("generated_ids")), g.ids());
        assertArrayEquals(b1.ids(), g.ids());
        assertEquals(b1.score(), g.score(), 1e-6);
    }

    @Test
    void samplingIsSeededAndFiltersWork() {
        List<float[]> embs = dEmbeddings();
        DecodingOptions s1 = DecodingOptions.sampling(1.0, 0, 1.0, 42L).withMaxTokens(15);
        List<DecodedSentence> a = llm.decoder().decode(embs, Language.ENGLISH, s1);
        List<DecodedSentence> b = llm.decoder().decode(embs, Language.ENGLISH, s1);
        DecodedSentence alone = llm.decoder().decode(embs.get(2), Language.ENGLISH, s1);
        assertEquals(a, b);
        assertArrayEquals(alone.ids(), a.get(2).ids(), "a row's sample does not depend on its batch");
        // top-k 1 and a tiny temperature are greedy
        List<DecodedSentence> greedy = llm.decoder().decode(embs, Language.ENGLISH, DecodingOptions.greedy().withMaxTokens(15));
        List<DecodedSentence> k1 = llm.decoder().decode(embs, Language.ENGLISH,
                DecodingOptions.sampling(1.0, 1, 1.0, 7L).withMaxTokens(15));
        List<DecodedSentence> cold = llm.decoder().decode(embs, Language.ENGLISH,
                DecodingOptions.sampling(1e-4, 0, 1.0, 7L).withMaxTokens(15));
        List<DecodedSentence> p0 = llm.decoder().decode(embs, Language.ENGLISH,
                DecodingOptions.sampling(1.0, 0, 1e-6, 7L).withMaxTokens(15));
        for (int i = 0; i < embs.size(); i++) {
            assertArrayEquals(greedy.get(i).ids(), k1.get(i).ids());
            assertArrayEquals(greedy.get(i).ids(), cold.get(i).ids());
            assertArrayEquals(greedy.get(i).ids(), p0.get(i).ids());
            assertEquals(greedy.get(i).score(), k1.get(i).score(), 1e-9);
        }
    }

    @Test
    void concurrentCallsGiveSequentialResults() throws Exception {
        List<float[]> embs = dEmbeddings();
        List<String> texts = new ArrayList<>();
        for (JsonNode c : TinyA.expected().get("a_tokenization").get("cases")) {
            texts.add(c.get("text").asText());
        }
        List<float[]> encRef = llm.encoder().encode(texts, Language.ENGLISH);
        List<DecodedSentence> decRef = llm.decoder().decode(embs, Language.ENGLISH, DecodingOptions.beam(3).withMaxTokens(10));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                fs.add(pool.submit(() -> {
                    for (int r = 0; r < 3; r++) {
                        List<float[]> enc = llm.encoder().encode(texts, Language.ENGLISH);
                        for (int i = 0; i < enc.size(); i++) {
                            if (!java.util.Arrays.equals(enc.get(i), encRef.get(i))) {
                                return false;
                            }
                        }
                        if (!llm.decoder().decode(embs, Language.ENGLISH, DecodingOptions.beam(3).withMaxTokens(10))
                                .equals(decRef)) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : fs) {
                assertTrue(f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void decodingManyBatchesDoesNotGrowNativeMemory() throws Exception {
        List<float[]> embs = dEmbeddings();
        DecodingOptions o = DecodingOptions.beam(3).withMaxTokens(10);
        // RSS fluctuates by ~100 MB between phases (allocator arenas of ORT threads), so compare the
        // peak of the warm-up phases with the peak of later phases: a leaked KV cache or logits buffer
        // per step would add >= 50 MB per phase here, i.e. a steady climb far above the bound.
        long warmPeak = 0;
        long laterPeak = 0;
        for (int phase = 0; phase < 6; phase++) {
            for (int i = 0; i < 60; i++) {
                llm.decoder().decode(embs, Language.ENGLISH, o);
                llm.encoder().encode(List.of("Hello there.", "A second sentence, a bit longer."), Language.ENGLISH);
            }
            System.gc();
            long rss = rssKb();
            if (phase < 2) {
                warmPeak = Math.max(warmPeak, rss);
            } else {
                laterPeak = Math.max(laterPeak, rss);
            }
        }
        assertTrue(laterPeak - warmPeak < 60_000, "RSS peak grew from " + warmPeak + " kB to " + laterPeak + " kB");
    }

    static long rssKb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }
}
