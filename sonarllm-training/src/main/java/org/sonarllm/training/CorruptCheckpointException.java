package org.sonarllm.training;

import java.nio.file.Path;
import org.sonarllm.ModelFormatException;

/**
 * A checkpoint file is truncated, fails its CRC32 check or is not a training checkpoint at all.
 * Nothing in the output directory is modified when this is thrown.
 *
 * <pre>{@code
 * try {
 *     trainer.train(data, listener);
 * } catch (CorruptCheckpointException e) {
 *     // "corrupt checkpoint run/checkpoint.bin: expected CRC 1a2b..., found 99ff..."
 * }
 * }</pre>
 */
public final class CorruptCheckpointException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    /**
     * @param file the checkpoint
     * @param expected what a valid checkpoint has
     * @param found what was read
     * @param cause the underlying failure, or null
     */
    public CorruptCheckpointException(Path file, String expected, String found, Throwable cause) {
        super("corrupt checkpoint " + file + ": expected " + expected + ", found " + found, cause);
    }
}
