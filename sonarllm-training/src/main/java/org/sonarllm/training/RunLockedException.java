package org.sonarllm.training;

import java.nio.file.Path;
import org.sonarllm.InvalidInputException;

/**
 * Another training run holds the work directory ({@link RunDirectory}): two runs on one folder would
 * interleave their metrics and overwrite each other's checkpoints, so the second fails at once.
 *
 * <pre>{@code
 * try {
 *     ConceptLMTraining.builder(bundle, corpus, out).run();
 * } catch (RunLockedException e) {
 *     // "expected one training run per work directory, found out.work locked by process 4242 ..."
 * }
 * }</pre>
 */
public final class RunLockedException extends InvalidInputException {
    private static final long serialVersionUID = 1L;

    /**
     * @param dir the work directory
     * @param holder who holds it
     */
    public RunLockedException(Path dir, String holder) {
        super("expected one training run per work directory, found " + dir + " locked by " + holder
                + " (wait for it to finish, or use another --out / --work)");
    }
}
