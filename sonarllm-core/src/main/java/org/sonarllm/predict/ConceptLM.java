package org.sonarllm.predict;

import java.util.ArrayList;
import java.util.List;

/**
 * The concept language model: given a sequence of sentence vectors, predicts the next one.
 * Inference goes through stateful {@link ConceptLMSession}s that keep a key/value cache, so that
 * appending one sentence costs one position, not the whole prefix.
 *
 * <p>Thread-safe; sessions are not (use one per thread, or {@link ConceptLMSession#fork()}).
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
