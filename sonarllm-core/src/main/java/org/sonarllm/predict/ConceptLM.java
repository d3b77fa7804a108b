package org.sonarllm.predict;

import java.util.ArrayList;
import java.util.List;

/**
 * The concept language model: given a sequence of sentence vectors, predicts the next one.
 * Inference goes through stateful {@link ConceptLMSession}s that keep a key/value cache, so that
 * appending one sentence costs one position, not the whole prefix.
 *
 * <p>Thread-safe; sessions and batches are not (use one per thread, or {@link ConceptLMSession#fork()}).
 *
 * <pre>{@code
 * try (ConceptLMSession s = lm.newSession()) {
 *     s.append(promptVectors);
 *     float[] next = s.predictNext();
 * }
 * }</pre>
 */
public interface ConceptLM extends AutoCloseable {
    /** @return the size of the vectors it reads and predicts (the SONAR dimension) */
    int dimension();

    /** @return the most sentence positions one session may hold */
    int contextLimit();

    /** @return a new, empty session */
    ConceptLMSession newSession();

    /**
     * A batch of {@code rows} empty sequences advanced together ({@link ConceptLMBatch}). The default
     * runs one session per row; implementations that can batch several sequences into one call
     * override it.
     *
     * @param rows number of sequences, at least 1
     * @return the batch; close it
     * @throws org.sonarllm.InvalidInputException if {@code rows < 1}
     */
    default ConceptLMBatch newBatch(int rows) {
        if (rows < 1) {
            throw new org.sonarllm.InvalidInputException("expected at least 1 row in a batch, found " + rows);
        }
        return new SessionBatch(this, rows);
    }

    /**
     * Predictions for every prefix of a sequence: row t predicts vector t+1 from vectors 0..t.
     *
     * @param embeddings the sequence, at most {@link #contextLimit()} long
     * @return one prediction per input position
     */
    default List<float[]> predictAll(List<float[]> embeddings) {
        try (ConceptLMSession s = newSession()) {
            return new ArrayList<>(s.append(embeddings));
        }
    }

    /** Releases native resources (idempotent). */
    @Override
    void close();
}
