package org.sonarllm.cli;

/**
 * A command-line value is unusable (a missing directory, an empty input line): reported as one
 * error line with exit code 2.
 *
 * <pre>{@code
 * throw new UsageException("tokenizer directory not found: " + dir);
 * }</pre>
 */
public class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, in one line */
    public UsageException(String message) {
        super(message);
    }
}
