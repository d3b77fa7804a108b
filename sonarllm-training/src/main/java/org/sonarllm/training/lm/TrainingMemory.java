package org.sonarllm.training.lm;

import java.util.Locale;
import org.bytedeco.javacpp.Pointer;
import org.sonarllm.InvalidInputException;
import org.sonarllm.model.ConceptLMConfig;

/**
 * The memory a concept LM needs before anything is allocated: its parameters, the two AdamW moments and
 * the gradients, four float arrays of the parameter count, checked against the native memory ND4J may use
 * (JavaCPP's {@code maxBytes}, which defaults to the JVM's {@code -Xmx}) and against the JVM heap. A shape
 * that cannot fit is an {@link InvalidInputException} naming the shape and both sizes instead of an
 * {@code OutOfMemoryError} later. Stateless.
 */
final class TrainingMemory {
    /** Float arrays of the parameter count: parameters, two AdamW moments, gradients. */
    static final int COPIES = 4;

    private TrainingMemory() {}

    /**
     * @param cfg the concept LM shape
     * @throws InvalidInputException if it cannot fit
     */
    static void check(ConceptLMConfig cfg) {
        long limit = Pointer.maxBytes() > 0 ? Pointer.maxBytes() : Runtime.getRuntime().maxMemory();
        check(cfg, limit);
    }

    /**
     * @param cfg the concept LM shape
     * @param limit bytes available
     * @throws InvalidInputException if it cannot fit
     */
    static void check(ConceptLMConfig cfg, long limit) {
        long params;
        long need;
        try {
            params = cfg.parameterCount();
            need = Math.multiplyExact(params, (long) Float.BYTES * COPIES);
        } catch (ArithmeticException e) {
            params = Long.MAX_VALUE;
            need = Long.MAX_VALUE;
        }
        if (need > limit) {
            throw new InvalidInputException(String.format(Locale.ROOT, "expected a concept LM that fits in memory: shape "
                    + "%d,%d,%d,%d,%d,%d (hidden, layers, heads, kv heads, head dim, ffn) has %d parameters, which with "
                    + "their AdamW moments and gradients need %s, found %s available (raise -Xmx or "
                    + "-Dorg.bytedeco.javacpp.maxbytes, or choose a smaller shape)", cfg.hidden(), cfg.layers(),
                    cfg.heads(), cfg.kvHeads(), cfg.headDim(), cfg.intermediate(), params, bytes(need), bytes(limit)));
        }
    }

    private static String bytes(long b) {
        return b == Long.MAX_VALUE ? "more than 8 EiB" : String.format(Locale.ROOT, "%.1f GiB", b / (double) (1L << 30));
    }
}
