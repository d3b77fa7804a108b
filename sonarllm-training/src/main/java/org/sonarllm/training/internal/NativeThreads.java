package org.sonarllm.training.internal;

import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.InvalidInputException;

/**
 * The number of threads ND4J's native ops and its BLAS use for one op, process-wide (ND4J keeps one setting
 * per process). Training sets it for the duration of a run: with data-parallel replicas on threads, each op
 * of a replica should use its share of the cores ({@code cores / replicas}), otherwise the replicas' OpenMP
 * teams compete for the same cores and wait on each other.
 *
 * <pre>{@code
 * try (NativeThreads t = NativeThreads.limit(1)) {
 *     // every ND4J op and BLAS call uses one thread here
 * }
 * }</pre>
 *
 * <p>Not for concurrent use with different limits (the setting is global).
 */
public final class NativeThreads implements AutoCloseable {
    private final int previousOps;
    private final int previousMaster;
    private final int previousBlas;
    private boolean closed;

    private NativeThreads(int n) {
        previousOps = Nd4j.getEnvironment().maxThreads();
        previousMaster = Nd4j.getEnvironment().maxMasterThreads();
        previousBlas = Nd4j.factory().blas().getMaxThreads();
        set(n, n, n);
    }

    /**
     * @param threads threads per native op (at least 1)
     * @return a handle that restores the previous setting when closed
     * @throws InvalidInputException if {@code threads < 1}
     */
    public static NativeThreads limit(int threads) {
        if (threads < 1) {
            throw new InvalidInputException("expected at least 1 thread per native op, found " + threads);
        }
        return new NativeThreads(threads);
    }

    /** @return the current threads per native op */
    public static int current() {
        return Math.max(1, Nd4j.getEnvironment().maxThreads());
    }

    /**
     * @param replicas graph replicas running at once
     * @return threads per op that share the current threads among them: {@code max(1, current / replicas)}
     */
    public static int share(int replicas) {
        return Math.max(1, current() / Math.max(1, replicas));
    }

    private static void set(int ops, int master, int blas) {
        Nd4j.getEnvironment().setMaxThreads(ops);
        Nd4j.getEnvironment().setMaxMasterThreads(master);
        Nd4j.factory().blas().setMaxThreads(blas);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            set(previousOps, previousMaster, previousBlas);
        }
    }
}
