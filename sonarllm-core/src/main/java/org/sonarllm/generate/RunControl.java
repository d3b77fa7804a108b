package org.sonarllm.generate;

import java.time.Duration;
import org.sonarllm.CancellationToken;

/**
 * Cancellation and deadline of one call: the token the generation loop and the decoder check
 * between steps and tokens. Thread-safe (the flag is set from the caller's thread).
 */
final class RunControl implements CancellationToken {
    private final long deadline;
    private final boolean hasDeadline;
    private volatile boolean cancelled;

    /** @param timeout zero for none @param start {@link System#nanoTime()} at the call's start */
    RunControl(Duration timeout, long start) {
        this.hasDeadline = !timeout.isZero();
        this.deadline = hasDeadline ? start + saturatedNanos(timeout) : 0;
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 2;
        }
    }

    void cancel() {
        cancelled = true;
    }

    boolean cancelled() {
        return cancelled;
    }

    boolean deadlinePassed() {
        return hasDeadline && System.nanoTime() - deadline >= 0;
    }

    @Override
    public boolean isCancelled() {
        return cancelled || deadlinePassed();
    }
}
