package org.sonarllm.predict;

import java.util.List;

/**
 * Several independent sequences of sentence vectors advanced together, so that one concept-LM call
 * serves all of them: the batched counterpart of {@link ConceptLMSession}. Rows may have different
 * lengths and may append different numbers of vectors in one call; rows that are done leave with
 * {@link #retain(int[])}. Each row's predictions equal those of a session fed the same vectors (up
 * to floating-point rounding of the batched arithmetic).
 *
 * <p>Not thread-safe; close it (idempotent) to release the caches.
 *
 * <pre>{@code
 * try (ConceptLMBatch b = lm.newBatch(2)) {
 *     List<float[]> next = b.append(List.of(List.of(a1, a2, a3), List.of(b1)));  // ragged prompts
 *     next = b.append(List.of(List.of(next.get(0)), List.of(next.get(1))));      // one step each
 *     b.retain(new int[] {1});                                                   // row 0 is done
 *     next = b.append(List.of(List.of(next.get(1))));                            // old row 1 is row 0
 * }
 * }</pre>
 */
public interface ConceptLMBatch extends AutoCloseable {
    /** @return the number of rows (sequences) */
    int size();

    /**
     * @param row a row index
     * @return the number of vectors appended to that row so far
     */
    int length(int row);

    /**
     * Appends vectors to every row and returns the prediction after each row's last new vector.
     *
     * @param perRow one non-empty list per row ({@link #size()} lists), in row order
     * @return one predicted next vector per row
     * @throws org.sonarllm.InvalidInputException for a wrong number of rows, an empty row, a wrong
     *     dimension, NaN/Inf, or a row that would exceed {@link ConceptLM#contextLimit()}
     */
    List<float[]> append(List<List<float[]>> perRow);

    /**
     * Keeps only some rows: afterwards row {@code i} is the former row {@code rows[i]}.
     *
     * @param rows distinct former row indices, in their new order
     * @throws org.sonarllm.InvalidInputException for an index out of range or a repeated index
     */
    void retain(int[] rows);

    /** Releases the caches (idempotent). */
    @Override
    void close();
}
