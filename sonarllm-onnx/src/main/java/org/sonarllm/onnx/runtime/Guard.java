package org.sonarllm.onnx.runtime;

import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/** Use-after-close guard: calls run under the read lock, close takes the write lock once. */
final class Guard {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final String what;
    private boolean closed;

    Guard(String what) {
        this.what = what;
    }

    <T> T run(Supplier<T> body) {
        lock.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException(what + " is closed");
            }
            return body.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** @return true the first time (the caller then releases its resources) */
    boolean close() {
        lock.writeLock().lock();
        try {
            if (closed) {
                return false;
            }
            closed = true;
            return true;
        } finally {
            lock.writeLock().unlock();
        }
    }
}
