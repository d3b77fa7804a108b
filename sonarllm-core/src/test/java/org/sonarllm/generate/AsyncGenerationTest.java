package org.sonarllm.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.sonarllm.CancellationToken;
import org.sonarllm.CancelledException;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.ConceptDecoder;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;

/** {@code generateAsync}, cancellation and the deadline over {@link TableComponents}. */
class AsyncGenerationTest {
    private final TableComponents.Encoder enc = new TableComponents.Encoder();
    private final TableComponents.LM lm = new TableComponents.LM(100, 100);

    /**
     * The table decoder, except that its {@code blockAt}-th call (1-based) waits, as a decoder between
     * two tokens would, until its cancellation token is set, then throws.
     */
    static final class BlockingDecoder implements ConceptDecoder {
        final TableComponents.Decoder inner = new TableComponents.Decoder();
        final AtomicInteger calls = new AtomicInteger();
        final CountDownLatch entered = new CountDownLatch(1);
        final int blockAt;

        BlockingDecoder(int blockAt) {
            this.blockAt = blockAt;
        }

        @Override
        public int dimension() {
            return 3;
        }

        @Override
        public List<DecodedSentence> decode(List<float[]> embeddings, Language language, DecodingOptions options) {
            return inner.decode(embeddings, language, options);
        }

        @Override
        public List<DecodedSentence> decode(List<float[]> embeddings, Language language, DecodingOptions options,
                CancellationToken cancel) {
            if (calls.incrementAndGet() == blockAt) {
                entered.countDown();
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (System.nanoTime() < end) {
                    cancel.throwIfCancelled("decoding");
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        throw new AssertionError("the decoder thread must not be interrupted", e);
                    }
                }
                throw new AssertionError("never cancelled");
            }
            return inner.decode(embeddings, language, options);
        }

        @Override
        public void close() {}
    }

    private SonarLlmGenerator gen(ConceptDecoder dec) {
        return SonarLlmGenerator.builder().segmenter(new TableComponents.WordSegmenter()).encoder(enc).conceptLm(lm)
                .decoder(dec).eosEmbedding(TableComponents.EOS).build();
    }

    private static GenerationOptions opts(int max) {
        return GenerationOptions.builder().decoding(DecodingOptions.greedy())
                .stopCriterion(StopRules.paper().withMaxSentences(max)).build();
    }

    /** @return how a completed future ended, with the stack trace of its failure */
    private static String outcome(Future<GenerationResult> f) {
        try {
            return "result " + texts(f.get());
        } catch (Throwable t) {
            java.io.StringWriter w = new java.io.StringWriter();
            (t instanceof ExecutionException && t.getCause() != null ? t.getCause() : t)
                    .printStackTrace(new java.io.PrintWriter(w));
            return w.toString();
        }
    }

    private static List<String> texts(GenerationResult r) {
        return r.sentences().stream().map(GeneratedSentence::text).toList();
    }

    @Test
    void asyncResultEqualsTheSynchronousOne() throws Exception {
        SonarLlmGenerator g = gen(new TableComponents.Decoder());
        GenerationResult sync = g.generate("S1 S2", opts(3));
        GenerationResult async = g.generateAsync("S1 S2", opts(3), GenerationListener.NONE).get(10, TimeUnit.SECONDS);
        assertEquals(sync.sentences(), async.sentences());
        assertEquals(List.of("S5.0", "S11.0", "S23.0"), texts(async));
        assertThrows(InvalidInputException.class, () -> g.generateAsync(" ", opts(3), GenerationListener.NONE));
        // errors after the start complete the future exceptionally
        GenerationOptions tooLong = opts(3).toBuilder().contextLimit(1000).build();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> g.generateAsync("S1", tooLong, GenerationListener.NONE).get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof InvalidInputException, e.toString());
    }

    @Test
    void cancellingStopsTheRunReleasesItsSessionAndLeavesTheGeneratorUsable() throws Exception {
        BlockingDecoder dec = new BlockingDecoder(2);
        SonarLlmGenerator g = gen(dec);
        List<String> streamed = new java.util.concurrent.CopyOnWriteArrayList<>();
        Future<GenerationResult> f = g.generateAsync("S1 S2", opts(5), s -> streamed.add(s.text()));
        assertTrue(dec.entered.await(10, TimeUnit.SECONDS), "the second sentence's decoding started");
        assertEquals(1, lm.open.get(), "the run holds one concept-LM session");
        // failed twice in full builds before AsyncGeneration.cancel marked the future before setting the flag
        assertTrue(f.cancel(true), () -> "the run ended before the cancel: " + outcome(f));
        assertTrue(f.isCancelled());
        assertThrows(CancellationException.class, f::get);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (lm.open.get() != 0 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertEquals(0, lm.open.get(), "the cancelled run closed its session");
        assertEquals(List.of("S5.0"), streamed, "the sentence before the cancel was streamed, none after");
        // the same generator goes on: calls 3.. are not blocked
        assertEquals(List.of("S5.0", "S11.0", "S23.0"), texts(g.generate("S1 S2", opts(3))));
        assertEquals(List.of("S5.0", "S11.0"), texts(g.generateAsync("S1 S2", opts(2), GenerationListener.NONE)
                .get(10, TimeUnit.SECONDS)));
    }

    @Test
    void aCallersOwnTokenStopsTheDecoderWithCancelledException() {
        BlockingDecoder dec = new BlockingDecoder(1);
        CancelledException e = assertThrows(CancelledException.class, () -> dec.decode(List.of(new float[3]),
                Language.ENGLISH, DecodingOptions.greedy(), () -> true));
        assertEquals("decoding cancelled", e.getMessage());
        // the interface's default checks before and after a decoder without its own hook
        assertThrows(CancelledException.class, () -> new TableComponents.Decoder().decode(List.of(new float[3]),
                Language.ENGLISH, DecodingOptions.greedy(), () -> true));
    }

    @Test
    void deadlineEndsTheRunWithTheSentencesKeptSoFar() {
        // the third decoding waits until the 200 ms budget is spent: two sentences, reason "deadline"
        BlockingDecoder dec = new BlockingDecoder(3);
        GenerationOptions o = opts(10).toBuilder().timeout(Duration.ofMillis(200)).build();
        GenerationResult r = gen(dec).generate("S1 S2", o);
        assertEquals(List.of("S5.0", "S11.0"), texts(r));
        assertEquals(SonarLlmGenerator.DEADLINE, r.stopReason());
        assertEquals(0, lm.open.get());
        // generateAll: the budget covers the whole call; every unfinished prompt ends with "deadline"
        BlockingDecoder dec2 = new BlockingDecoder(2);
        SonarLlmGenerator g2 = SonarLlmGenerator.builder().segmenter(new TableComponents.WordSegmenter()).encoder(enc)
                .conceptLm(lm).decoder(dec2).eosEmbedding(TableComponents.EOS).batchOptions(BatchOptions.of(2, 1)).build();
        List<GenerationResult> all = g2.generateAll(List.of("S1 S2", "S3", "S4"), o);
        assertEquals(List.of("S5.0"), texts(all.get(0)));
        assertEquals(List.of("S4.0"), texts(all.get(1)));
        assertEquals(List.of(), texts(all.get(2)));
        all.forEach(x -> assertEquals(SonarLlmGenerator.DEADLINE, x.stopReason()));
        assertThrows(InvalidInputException.class, () -> opts(1).toBuilder().timeout(Duration.ofMillis(-1)).build());
    }
}
