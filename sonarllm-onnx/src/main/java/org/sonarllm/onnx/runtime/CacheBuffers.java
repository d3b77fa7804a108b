package org.sonarllm.onnx.runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Direct float buffers of the decoder's {@link KvCache}s, kept between searches. A fresh direct buffer
 * costs its zeroing and a page fault per 4 KB page on first touch; at 16 prompts x 5 beams the d-256 model
 * allocated about 20 MB per generated sentence, which took a quarter of batched generation's time. Released
 * buffers are handed out again to the next search that fits in them (the smallest that fits).
 *
 * <p>The pool keeps at most as much memory as the searches of its decoder held at once at their peak
 * (the caching rule of PyTorch's and ONNX Runtime's allocators): a process never retains more than it already
 * used. {@link #clear()} (the decoder's close) drops everything. A reused buffer is not zeroed: a search reads
 * only positions it wrote (the attention's {@code seqlens_k}). Thread-safe.
 */
final class CacheBuffers {
    private final List<FloatBuffer> free = new ArrayList<>();
    private long inUse;
    private long peak;
    private long retained;
    private long reuses;

    /**
     * @param floats floats needed
     * @return a buffer of at least {@code floats} floats, position 0, limit its capacity; give it back
     *     with {@link #release}
     */
    FloatBuffer acquire(int floats) {
        synchronized (this) {
            int best = -1;
            for (int i = 0; i < free.size(); i++) {
                int c = free.get(i).capacity();
                if (c >= floats && (best < 0 || c < free.get(best).capacity())) {
                    best = i;
                }
            }
            if (best >= 0) {
                FloatBuffer b = free.remove(best);
                reuses++;
                retained -= b.capacity();
                inUse += b.capacity();
                peak = Math.max(peak, inUse);
                return b.clear();
            }
            inUse += floats;
            peak = Math.max(peak, inUse);
        }
        return ByteBuffer.allocateDirect(Math.multiplyExact(floats, 4)).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /**
     * Gives a buffer back. It is kept; then, while kept and used memory together exceed the peak use, the
     * smallest kept buffers are dropped.
     *
     * @param b a buffer from {@link #acquire}, not used by the caller afterwards
     */
    synchronized void release(FloatBuffer b) {
        inUse -= b.capacity();
        free.add(b);
        retained += b.capacity();
        while (retained + inUse > peak && !free.isEmpty()) {
            int smallest = 0;
            for (int i = 1; i < free.size(); i++) {
                if (free.get(i).capacity() < free.get(smallest).capacity()) {
                    smallest = i;
                }
            }
            retained -= free.remove(smallest).capacity();
        }
    }

    /** Drops every kept buffer (the memory goes with the garbage collector) and forgets the peak. */
    synchronized void clear() {
        free.clear();
        retained = 0;
        peak = inUse;
    }

    /** @return floats held in kept buffers (tests) */
    synchronized long retainedFloats() {
        return retained;
    }

    /** @return acquisitions served by a kept buffer (tests) */
    synchronized long reuses() {
        return reuses;
    }

    /** Overwrites every kept buffer with {@code value} (tests: stale contents must not matter). @param value v */
    synchronized void fillKept(float value) {
        for (FloatBuffer b : free) {
            for (int i = 0; i < b.capacity(); i++) {
                b.put(i, value);
            }
        }
    }
}
