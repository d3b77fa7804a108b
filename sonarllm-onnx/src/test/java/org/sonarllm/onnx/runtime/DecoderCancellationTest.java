package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sonarllm.CancellationToken;
import org.sonarllm.CancelledException;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.testing.TinyABundle;

/** The decoder checks its cancellation token once per decoder step, i.e. between two tokens. */
class DecoderCancellationTest {
    private static SonarLlm llm;

    @BeforeAll
    static void load() {
        llm = SonarLlm.load(TinyABundle.get());
    }

    @AfterAll
    static void close() {
        llm.close();
    }

    /** Counts its checks; reports cancelled from check number {@code from} on (never when 0). */
    private static final class CountingToken implements CancellationToken {
        final AtomicInteger checks = new AtomicInteger();
        final int from;

        CountingToken(int from) {
            this.from = from;
        }

        @Override
        public boolean isCancelled() {
            int n = checks.incrementAndGet();
            return from > 0 && n >= from;
        }
    }

    @Test
    void greedyChecksOncePerTokenAndStopsAtTheFirstCheckAfterTheCancel() {
        List<float[]> one = List.of(RuntimeBehaviourTest.dEmbeddings().get(0));
        DecodingOptions greedy = DecodingOptions.greedy().withMaxTokens(40);
        DecodedSentence full = llm.decoder().decode(one, Language.ENGLISH, greedy).get(0);
        CountingToken count = new CountingToken(0);
        assertEquals(full, llm.decoder().decode(one, Language.ENGLISH, greedy, count).get(0));
        // the prompt step yields the first token, every further step one more: one check per token
        assertEquals(full.ids().length, count.checks.get());
        int stopAt = Math.max(2, full.ids().length / 2);
        CountingToken cancel = new CountingToken(stopAt);
        CancelledException e = assertThrows(CancelledException.class,
                () -> llm.decoder().decode(one, Language.ENGLISH, greedy, cancel));
        assertEquals("decoding cancelled", e.getMessage());
        assertEquals(stopAt, cancel.checks.get(), "no step ran after the token was set");
        assertEquals(full, llm.decoder().decode(one, Language.ENGLISH, greedy).get(0), "usable after a cancel");
    }

    @Test
    void beamSearchOverABatchStopsToo() {
        List<float[]> all = RuntimeBehaviourTest.dEmbeddings();
        DecodingOptions beam = DecodingOptions.beam(3).withMaxTokens(30);
        List<DecodedSentence> before = llm.decoder().decode(all, Language.ENGLISH, beam);
        CountingToken cancel = new CountingToken(3);
        assertThrows(CancelledException.class, () -> llm.decoder().decode(all, Language.ENGLISH, beam, cancel));
        assertEquals(3, cancel.checks.get());
        assertEquals(before, llm.decoder().decode(all, Language.ENGLISH, beam));
        assertThrows(CancelledException.class, () -> llm.decoder().decode(all, Language.ENGLISH, beam, () -> true));
    }
}
