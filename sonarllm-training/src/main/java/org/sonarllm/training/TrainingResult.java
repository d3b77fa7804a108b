package org.sonarllm.training;

import java.nio.file.Path;

/**
 * Outcome of a {@link TrainingLoop} run.
 *
 * <pre>{@code
 * TrainingResult r = trainer.train(data, TrainingListener.NONE);
 * System.out.println(r.steps() + " steps, loss " + r.lastLoss());
 * }</pre>
 *
 * @param steps optimizer steps taken in total (including those before a resume)
 * @param epochs epoch index reached
 * @param lastLoss training loss of the last step (NaN if the run resumed at its end)
 * @param validationLoss last validation loss (NaN without validation data)
 * @param checkpoint the checkpoint file
 * @param best with a patience ({@link TrainingConfig#patience()}): the checkpoint of the best validation (its
 *     parameters are the ones to keep: {@link #bestParameters()}); else null
 * @param bestValidationLoss the best validation loss (NaN without a patience)
 */
public record TrainingResult(long steps, int epochs, double lastLoss, double validationLoss, Path checkpoint, Path best,
        double bestValidationLoss) {

    /**
     * @return the parameters of the best validation by name (read from {@link #best()})
     * @throws IllegalStateException without a best checkpoint
     * @throws CorruptCheckpointException if it cannot be read
     */
    public java.util.Map<String, org.nd4j.linalg.api.ndarray.INDArray> bestParameters() {
        if (best == null) {
            throw new IllegalStateException("expected a best-validation checkpoint (a run with a patience), found none");
        }
        return Checkpoint.read(best).params();
    }
}
