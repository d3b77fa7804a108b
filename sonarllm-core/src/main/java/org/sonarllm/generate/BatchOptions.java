package org.sonarllm.generate;

import org.sonarllm.InvalidInputException;

/**
 * How {@link Generator#generateAll} runs many prompts: {@code batchSize} prompts advance together as
 * one batch (one concept-LM call, one decoder call and one re-encoder call per step for all of them;
 * a prompt leaves the batch when it stops), and {@code threads} batches run at a time. Results are
 * the same whatever the values (up to floating-point rounding of batched arithmetic); only the speed
 * changes. Immutable.
 *
 * <pre>{@code
 * Generator g = model.generator(BatchOptions.of(16, 1));     // 16 prompts per batch, one batch at a time
 * Generator oneByOne = model.generator(BatchOptions.SEQUENTIAL);
 * }</pre>
 *
 * @param batchSize prompts per batch, 1 to {@value #MAX_BATCH_SIZE} (1 = one prompt at a time)
 * @param threads batches run concurrently, 1 to {@value #MAX_THREADS}
 */
public record BatchOptions(int batchSize, int threads) {
    /** Largest accepted batch size. */
    public static final int MAX_BATCH_SIZE = 1024;
    /** Largest accepted thread count. */
    public static final int MAX_THREADS = 256;
    /** Default batch size. */
    public static final int DEFAULT_BATCH_SIZE = 16;
    /** One prompt after another on the calling thread. */
    public static final BatchOptions SEQUENTIAL = new BatchOptions(1, 1);

    /** Validates the arguments. */
    public BatchOptions {
        if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
            throw new InvalidInputException("expected a batch size in 1.." + MAX_BATCH_SIZE + ", found " + batchSize);
        }
        if (threads < 1 || threads > MAX_THREADS) {
            throw new InvalidInputException("expected a thread count in 1.." + MAX_THREADS + ", found " + threads);
        }
    }

    /** @return {@value #DEFAULT_BATCH_SIZE} prompts per batch, one thread */
    public static BatchOptions defaults() {
        return new BatchOptions(DEFAULT_BATCH_SIZE, 1);
    }

    /** @param batchSize prompts per batch @param threads concurrent batches @return the options */
    public static BatchOptions of(int batchSize, int threads) {
        return new BatchOptions(batchSize, threads);
    }
}
