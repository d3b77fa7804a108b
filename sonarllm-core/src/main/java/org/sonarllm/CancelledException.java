package org.sonarllm;

/**
 * Work stopped because its {@link CancellationToken} asked it to (a cancelled {@code
 * generateAsync} future, or a caller's own token). The component that threw it has released what
 * the call held and stays usable.
 *
 * <pre>{@code
 * try {
 *     decoder.decode(vectors, Language.ENGLISH, DecodingOptions.beam(5), token);
 * } catch (CancelledException e) {
 *     // the token was set: nothing to clean up
 * }
 * }</pre>
 */
public class CancelledException extends SonarLlmException {
    private static final long serialVersionUID = 1L;

    /** @param message what was cancelled */
    public CancelledException(String message) {
        super(message);
    }
}
