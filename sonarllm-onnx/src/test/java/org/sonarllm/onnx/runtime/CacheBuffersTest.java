package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.testing.TinyABundle;

/** The decoder cache's memory pool: which buffer is handed out, how much is kept, and that reuse is exact. */
class CacheBuffersTest {
    @Test
    void handsOutTheSmallestKeptBufferThatFitsAndKeepsNoMoreThanThePeak() {
        CacheBuffers p = new CacheBuffers();
        FloatBuffer a = p.acquire(100);
        FloatBuffer b = p.acquire(50);
        assertEquals(100, a.capacity());
        assertEquals(50, b.capacity());
        p.release(a);
        p.release(b);
        assertEquals(150, p.retainedFloats()); // the peak was 150 in use
        a.position(7);
        FloatBuffer again = p.acquire(60); // b (50) is too small, a (100) fits
        assertSame(a, again);
        assertEquals(0, again.position());
        assertEquals(100, again.limit());
        assertEquals(1, p.reuses());
        FloatBuffer c = p.acquire(200); // nothing kept fits: new; 300 in use is the new peak
        assertNotSame(b, c);
        assertEquals(50, p.retainedFloats());
        p.release(c); // kept 50 + 200 and 100 in use exceed the peak 300: the smallest (b) goes
        assertEquals(200, p.retainedFloats());
        p.release(again); // 300 kept, 0 in use: at the peak, all kept
        assertEquals(300, p.retainedFloats());
        assertSame(c, p.acquire(150));
        p.clear();
        assertEquals(0, p.retainedFloats());
    }

    @Test
    void staleContentsOfReusedBuffersDoNotChangeDecoding() {
        try (SonarLlm llm = SonarLlm.load(TinyABundle.get())) {
            OnnxConceptDecoder dec = (OnnxConceptDecoder) llm.decoder();
            List<float[]> es = RuntimeBehaviourTest.dEmbeddings();
            // beam search reorders rows, 40 tokens outgrow the first reservation (30): both paths run
            DecodingOptions beam = DecodingOptions.beam(3).withMaxTokens(40);
            List<DecodedSentence> fresh = dec.decode(es, Language.ENGLISH, beam);
            assertTrue(dec.cacheBuffers().retainedFloats() > 0, "the search's buffers are kept");
            dec.cacheBuffers().fillKept(Float.NaN);
            long before = dec.cacheBuffers().reuses();
            assertEquals(fresh, dec.decode(es, Language.ENGLISH, beam));
            assertTrue(dec.cacheBuffers().reuses() > before, "the second search reused kept buffers");
            dec.cacheBuffers().fillKept(Float.NaN);
            List<DecodedSentence> greedy = dec.decode(es, Language.ENGLISH, DecodingOptions.greedy().withMaxTokens(40));
            dec.cacheBuffers().clear();
            assertEquals(greedy, dec.decode(es, Language.ENGLISH, DecodingOptions.greedy().withMaxTokens(40)));
        }
    }
}
