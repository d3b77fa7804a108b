package org.sonarllm.training;

import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Validation-based stopping for the {@link TrainingLoop}: the best validation loss so far, the epoch it was
 * measured at, and the rule "stop after {@code patience} validations in a row without improvement". The
 * parameters of the best validation live in their own checkpoint ({@value TrainingLoop#BEST}), written
 * before the run's checkpoint, so a kill at any point resumes to the same decisions: validation is
 * deterministic, and a best file newer than the run's checkpoint is simply written again with the same
 * contents.
 *
 * <p>Not thread-safe (one per run).
 */
final class BestValidation {
    private static final Logger LOG = LoggerFactory.getLogger(BestValidation.class);

    private final Path file;
    private final int patience;
    private double loss = Double.POSITIVE_INFINITY;
    private int epoch = -1;

    private BestValidation(Path file, int patience) {
        this.file = file;
        this.patience = patience;
    }

    /**
     * @param file the best-validation checkpoint
     * @param patience validations without improvement before stopping (0 = off)
     * @param resume continue a run: read the best so far from {@code file} when present
     * @return the state
     */
    static BestValidation restore(Path file, int patience, boolean resume) {
        BestValidation b = new BestValidation(file, patience);
        if (patience > 0 && resume && Files.exists(file)) {
            Checkpoint c = Checkpoint.read(file);
            b.loss = c.lastValidation();
            b.epoch = c.epoch();
        }
        return b;
    }

    /**
     * @param v a validation loss
     * @return whether it improves on the best (the caller then writes the best checkpoint and calls
     *     {@link #record})
     */
    boolean improves(double v) {
        return patience > 0 && !Double.isNaN(v) && v < loss;
    }

    /**
     * @param e the epoch of a new best validation
     * @param v its loss
     */
    void record(int e, double v) {
        LOG.info("best validation so far: {} at epoch {}", v, e);
        loss = v;
        epoch = e;
    }

    /**
     * @param e the epoch whose end was just validated
     * @return true when {@code patience} epoch ends have passed since the best one
     */
    boolean exhausted(int e) {
        boolean stop = patience > 0 && epoch >= 0 && e - epoch >= patience;
        if (stop) {
            LOG.info("validation has not improved for {} epochs (best {} at epoch {}): stopping", e - epoch, loss, epoch);
        }
        return stop;
    }

    /**
     * @param r a result without the best
     * @return {@code r} with the best checkpoint and loss when stopping is on and a best exists
     */
    TrainingResult result(TrainingResult r) {
        if (patience == 0 || epoch < 0) {
            return r;
        }
        return new TrainingResult(r.steps(), r.epochs(), r.lastLoss(), r.validationLoss(), r.checkpoint(), file, loss);
    }
}
