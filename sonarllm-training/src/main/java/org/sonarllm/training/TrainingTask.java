package org.sonarllm.training;

import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a model plugs into the one {@link TrainingLoop}: its parameters, its data order, how a
 * micro-batch of examples becomes a loss and gradients, and (optionally) a validation loss. The loop
 * owns everything else: resume, fingerprint, AdamW, schedule, clipping, accumulation, checkpoints,
 * metrics, listeners, divergence and data-parallel replicas. Implementations: the concept LM
 * ({@code org.sonarllm.training.lm}) and the SONAR-space autoencoder ({@code org.sonarllm.training.sonar}).
 *
 * <pre>{@code
 * TrainingResult r = new TrainingLoop(TrainingConfig.defaults(), Path.of("run"), true).run(task, TrainingListener.NONE);
 * }</pre>
 *
 * <p>The loop calls a task from one thread; replicas are called from one thread each.
 *
 * @param <E> one training example as a micro-batch holds it (a document, a noised sentence)
 */
public interface TrainingTask<E> {
    /**
     * The task's settings a resume must share, by name: model shape, task options and a content hash of the
     * data as the task trains and validates on it (key {@code "data"}); the loop adds its own settings. A
     * resume whose value differs for a key fails naming it ({@code "expected data sha256:..., found ..."}).
     *
     * @return name -> value, in a fixed order
     */
    Map<String, String> fingerprint();

    /** @return the number of training examples (0 makes the loop throw {@link EmptyCorpusException}) */
    int size();

    /** @return what an example is, for messages ("document", "sentence") */
    String unit();

    /**
     * The micro-batches of one epoch as example indices, a pure function of its arguments (so a resume
     * replays the same batches); see {@link EpochOrder}.
     *
     * @param epoch 0-based epoch
     * @param seed the run's seed
     * @param batchSize examples per micro-batch
     * @return the batches in training order
     */
    List<int[]> epochBatches(int epoch, long seed, int batchSize);

    /**
     * The examples of one micro-batch, ready to be split over replicas; any randomness (noise) must
     * derive from {@code step} and {@code microBatch} only.
     *
     * @param rows example indices from {@link #epochBatches}
     * @param step 0-based optimizer step
     * @param microBatch 0-based micro-batch within the step
     * @return the examples
     */
    List<E> examples(int[] rows, long step, int microBatch);

    /** @return the live parameters by name (replica 0's; the optimizer updates them in place) */
    Map<String, INDArray> parameters();

    /**
     * @param step 0-based optimizer step
     * @return the parameters updated at this step (default: all)
     */
    default List<String> trainable(long step) {
        return List.copyOf(parameters().keySet());
    }

    /**
     * @param step 0-based optimizer step
     * @return the phase label written to the metrics (default "train")
     */
    default String phase(long step) {
        return "train";
    }

    /**
     * @param index 0 for the task's own graph (whose arrays {@link #parameters()} returns), 1.. for
     *     independent copies that the loop keeps in sync after every update
     * @return the replica
     */
    Replica<E> replica(int index);

    /** @return the loss on held-out data with the current parameters, or NaN when there is none */
    default double validationLoss() {
        return Double.NaN;
    }

    /**
     * One graph that turns examples into a loss and gradients; replicas run on their own threads.
     *
     * @param <E> the example type
     */
    interface Replica<E> {
        /** @return this replica's live parameters by name */
        Map<String, INDArray> parameters();

        /**
         * @param examples a contiguous part of a micro-batch
         * @param names the parameters to differentiate
         * @return the part's mean loss, its weight and the gradients of that mean
         */
        Gradients gradients(List<E> examples, List<String> names);
    }

    /**
     * Loss and gradients of some examples.
     *
     * @param loss the mean loss over the examples' weight units
     * @param weight the mean's denominator (target tokens, predictions): parts are combined weighted by it
     * @param sentences sentences in the examples (for metrics)
     * @param targetTokens decoder label tokens in the examples (for metrics; 0 when none)
     * @param gradients gradient of the mean loss by parameter name
     */
    record Gradients(double loss, double weight, long sentences, long targetTokens, Map<String, INDArray> gradients) {}
}
