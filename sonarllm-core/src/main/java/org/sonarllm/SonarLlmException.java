package org.sonarllm;

/**
 * Base of every exception this SDK throws on purpose. Unchecked, so that callers handle the cases
 * they care about ({@link InvalidInputException}, {@link ModelFormatException}) and let the rest
 * propagate.
 *
 * <pre>{@code
 * try {
 *     generator.generate(prompt);
 * } catch (InvalidInputException e) {
 *     // the prompt, an option or an embedding was rejected: e.getMessage() says why
 * }
 * }</pre>
 */
public class SonarLlmException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong, in one line */
    public SonarLlmException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong, in one line
     * @param cause the underlying failure
     */
    public SonarLlmException(String message, Throwable cause) {
        super(message, cause);
    }
}
