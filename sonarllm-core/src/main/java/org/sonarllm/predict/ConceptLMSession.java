package org.sonarllm.predict;

import java.util.List;

/**
 * A growing sequence of sentence vectors with the concept LM's cache behind it. Not thread-safe.
 *
 * <pre>{@code
 * try (ConceptLMSession s = lm.newSession()) {
 *     s.append(List.of(a, b));           // predictions after a and after b
 *     float[] next = s.predictNext();    // = the prediction after b
 *     try (ConceptLMSession alt = s.fork()) { alt.append(x); }  // s is unchanged
 * }
 * }</pre>
 */
public interface ConceptLMSession extends AutoCloseable {
    /**
     * Appends vectors and returns the prediction made after each of them.
     *
     * @param embeddings vectors of {@link ConceptLM#dimension()} finite floats
     * @return one predicted next vector per appended vector
     * @throws org.sonarllm.InvalidInputException for a wrong dimension, NaN/Inf, or if the
     *     session would exceed {@link ConceptLM#contextLimit()}
     */
    List<float[]> append(List<float[]> embeddings);

    /**
     * @param embedding one vector
     * @return the prediction after it
     */
    default float[] append(float[] embedding) {
        return append(List.of(embedding)).get(0);
    }

    /**
     * @return the prediction after the last appended vector (not recomputed)
     * @throws IllegalStateException if nothing was appended yet
     */
    float[] predictNext();

    /** @return the number of vectors appended so far */
    int length();

    /** @return an independent copy of this session sharing nothing mutable; cheap (copies the cache) */
    ConceptLMSession fork();

    /** Releases the cache (idempotent). */
    @Override
    void close();
}
