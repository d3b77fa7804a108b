package org.sonarllm.training;

import java.nio.file.Path;
import org.sonarllm.ModelFormatException;

/**
 * A resume found a checkpoint written by another run: other model shape, task, settings or data, or an
 * older checkpoint format. Nothing in the output directory is modified when this is thrown. Both tasks
 * (the concept LM and the SONAR-space autoencoder) throw it through the one {@link TrainingLoop}.
 *
 * <pre>{@code
 * try {
 *     trainer.train(data, listener);
 * } catch (CheckpointMismatchException e) {
 *     // "mismatched checkpoint run/checkpoint.bin: expected run ..., found ..."
 * }
 * }</pre>
 */
public final class CheckpointMismatchException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    /**
     * @param file the checkpoint
     * @param expected what this run needs
     * @param found what the checkpoint holds
     */
    public CheckpointMismatchException(Path file, String expected, String found) {
        super("mismatched checkpoint " + file + ": expected " + expected + ", found " + found);
    }
}
