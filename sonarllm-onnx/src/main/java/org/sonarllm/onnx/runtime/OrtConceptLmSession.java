package org.sonarllm.onnx.runtime;

import java.util.ArrayList;
import java.util.List;
import org.sonarllm.InvalidInputException;
import org.sonarllm.predict.ConceptLMSession;

/**
 * A growing sequence with its key/value cache held as native tensors: a one-row {@link
 * OrtConceptLmBatch} that returns a prediction for every appended vector. Not thread-safe.
 */
final class OrtConceptLmSession implements ConceptLMSession {
    private final OrtConceptLmBatch batch;
    private float[] next;
    private boolean closed;

    private OrtConceptLmSession(OrtConceptLmBatch batch, float[] next) {
        this.batch = batch;
        this.next = next;
    }

    static OrtConceptLmSession empty(OrtConceptLm lm) {
        return new OrtConceptLmSession(OrtConceptLmBatch.empty(lm, 1), null);
    }

    @Override
    public List<float[]> append(List<float[]> embeddings) {
        checkOpen();
        if (embeddings == null || embeddings.isEmpty()) {
            throw new InvalidInputException("expected at least one vector to append, found none");
        }
        float[] p = batch.run(List.of(embeddings));
        List<float[]> out = new ArrayList<>(embeddings.size());
        for (int j = 0; j < embeddings.size(); j++) {
            out.add(batch.row(p, 0, j));
        }
        next = out.get(out.size() - 1);
        return out;
    }

    @Override
    public float[] predictNext() {
        checkOpen();
        if (next == null) {
            throw new IllegalStateException("nothing appended yet: no prediction");
        }
        return next.clone();
    }

    @Override
    public int length() {
        return batch.length(0);
    }

    @Override
    public ConceptLMSession fork() {
        checkOpen();
        return new OrtConceptLmSession(batch.copy(), next);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("concept LM session is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            batch.close();
        }
    }
}
