package org.sonarllm.generate;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.sonarllm.CancelledException;

/**
 * The future of {@link Generator#generateAsync}: cancelling it sets the run's cancellation flag, which
 * the loop checks between steps and the decoder between tokens; the run then releases its concept-LM
 * batch and ends. The future completes with {@link java.util.concurrent.CancellationException} at
 * once (as {@link CompletableFuture#cancel} does).
 */
final class AsyncGeneration extends CompletableFuture<GenerationResult> {
    private final RunControl control;

    private AsyncGeneration(RunControl control) {
        this.control = control;
    }

    /**
     * Marks the future cancelled first, then sets the run's flag: in the other order the run could see the
     * flag and complete the future with its {@link CancelledException} before the cancellation did, and this
     * method would return false for a run it had stopped.
     */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        control.cancel();
        return cancelled;
    }

    /**
     * @param control the run's control (its deadline already set)
     * @param body the generation, given the control
     * @param executor where it runs
     * @return the future
     */
    static AsyncGeneration start(RunControl control, Function<RunControl, GenerationResult> body, Executor executor) {
        AsyncGeneration f = new AsyncGeneration(control);
        Runnable task = () -> {
            if (f.isDone()) {
                return;
            }
            try {
                f.complete(body.apply(control));
            } catch (CancelledException e) {
                f.completeExceptionally(e); // no effect when the future was cancelled
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        };
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(e);
        }
        return f;
    }

    /** @return the generator's default pool: one daemon thread per core, idle threads end after 30 s */
    static ExecutorService defaultPool() {
        int n = Math.max(1, Runtime.getRuntime().availableProcessors());
        AtomicInteger count = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(n, n, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "sonarllm-generate-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
