package org.sonarllm.predict;

import java.util.List;
import org.sonarllm.InvalidInputException;

/**
 * Base for {@link ConceptLMBatch} implementations: checks the arguments of {@link #append}, {@link
 * #retain} and {@link #length} (row counts, empty rows, indices, use after close) so that
 * implementations only do the work. Vector dimensions, finiteness and the context limit are the
 * implementation's to check.
 *
 * <pre>{@code
 * final class MyBatch extends AbstractConceptLMBatch {
 *     protected List<float[]> appendChecked(List<List<float[]>> perRow) { ... }
 *     protected void retainChecked(int[] rows) { ... }
 *     ...
 * }
 * }</pre>
 */
public abstract class AbstractConceptLMBatch implements ConceptLMBatch {
    private boolean closed;

    /** For subclasses. */
    protected AbstractConceptLMBatch() {}

    /**
     * @param perRow one non-empty list per row (checked)
     * @return one prediction per row
     */
    protected abstract List<float[]> appendChecked(List<List<float[]>> perRow);

    /** @param rows distinct valid row indices (checked) */
    protected abstract void retainChecked(int[] rows);

    /** @param row a valid row index (checked) @return that row's length */
    protected abstract int lengthChecked(int row);

    /** Releases the resources; called once. */
    protected abstract void release();

    @Override
    public final int length(int row) {
        checkOpen();
        checkIndex(row, size());
        return lengthChecked(row);
    }

    @Override
    public final List<float[]> append(List<List<float[]>> perRow) {
        checkOpen();
        int size = size();
        if (perRow == null || perRow.size() != size) {
            throw new InvalidInputException("expected vectors for " + size + " rows, found "
                    + (perRow == null ? "null" : perRow.size() + " rows"));
        }
        for (int i = 0; i < size; i++) {
            if (perRow.get(i) == null || perRow.get(i).isEmpty()) {
                throw new InvalidInputException("row " + i + ": expected at least one vector to append, found none");
            }
        }
        return appendChecked(perRow);
    }

    @Override
    public final void retain(int[] rows) {
        checkOpen();
        if (rows == null) {
            throw new InvalidInputException("expected row indices to retain, found null");
        }
        int size = size();
        boolean[] seen = new boolean[size];
        for (int r : rows) {
            checkIndex(r, size);
            if (seen[r]) {
                throw new InvalidInputException("expected distinct rows to retain, found " + r + " twice");
            }
            seen[r] = true;
        }
        retainChecked(rows.clone());
    }

    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            release();
        }
    }

    /** @throws IllegalStateException after {@link #close()} */
    protected final void checkOpen() {
        if (closed) {
            throw new IllegalStateException("concept LM batch is closed");
        }
    }

    private static void checkIndex(int row, int size) {
        if (row < 0 || row >= size) {
            throw new InvalidInputException("expected a row in 0.." + (size - 1) + ", found " + row);
        }
    }
}
