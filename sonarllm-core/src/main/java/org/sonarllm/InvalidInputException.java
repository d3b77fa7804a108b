package org.sonarllm;

/**
 * A caller-supplied value was rejected before any native code ran: null, empty or whitespace text,
 * an embedding of the wrong dimension or with NaN/Inf values, an option outside its range, an empty
 * batch. The message names the offending value and the accepted range.
 *
 * <pre>{@code
 * DecodingOptions.beam(0); // throws InvalidInputException: "beam size must be >= 1, got 0"
 * }</pre>
 */
public class InvalidInputException extends SonarLlmException {
    private static final long serialVersionUID = 1L;

    /** @param message what was rejected and why */
    public InvalidInputException(String message) {
        super(message);
    }

    /**
     * @param message what was rejected and why
     * @param cause the underlying failure
     */
    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
