package org.sonarllm.onnx.runtime;

import java.util.function.Supplier;

/**
 * A value created on first use, once, by the first caller (others wait); a failure is not remembered
 * (the next call tries again). Thread-safe.
 *
 * <pre>{@code
 * Lazy<OrtSession> s = new Lazy<>(() -> OrtSessions.create(path, options));
 * s.get().run(inputs);
 * }</pre>
 *
 * @param <T> the value type
 */
final class Lazy<T> {
    private final Supplier<T> create;
    private volatile T value;

    /** @param create makes the value */
    Lazy(Supplier<T> create) {
        this.create = create;
    }

    /** @return the value, created now if it was not yet */
    T get() {
        T v = value;
        if (v == null) {
            synchronized (this) {
                v = value;
                if (v == null) {
                    v = create.get();
                    value = v;
                }
            }
        }
        return v;
    }

    /** @return the value if it was created, else null (never creates it) */
    T ifCreated() {
        return value;
    }
}
