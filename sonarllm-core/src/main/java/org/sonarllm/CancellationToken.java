package org.sonarllm;

/**
 * Asks long-running work to stop early. Work that accepts a token checks it at its natural
 * boundaries (the decoder between two tokens, the generation loop between two steps) and then
 * throws {@link CancelledException}; nothing is interrupted mid-computation, so every resource is
 * released normally and the component stays usable.
 *
 * <p>Implementations must be thread-safe: the token is set on one thread and read on another.
 *
 * <pre>{@code
 * AtomicBoolean stop = new AtomicBoolean();
 * CancellationToken token = stop::get;
 * // on another thread: stop.set(true);
 * decoder.decode(vectors, Language.ENGLISH, DecodingOptions.greedy(), token); // may throw CancelledException
 * }</pre>
 */
@FunctionalInterface
public interface CancellationToken {
    /** A token that is never cancelled. */
    CancellationToken NONE = () -> false;

    /** @return whether the work should stop at its next check */
    boolean isCancelled();

    /**
     * @param what the work being done, for the message (e.g. {@code "decoding"})
     * @throws CancelledException if {@link #isCancelled()}
     */
    default void throwIfCancelled(String what) {
        if (isCancelled()) {
            throw new CancelledException(what + " cancelled");
        }
    }
}
