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
 */
public record TrainingResult(long steps, int epochs, double lastLoss, double validationLoss, Path checkpoint) {}
