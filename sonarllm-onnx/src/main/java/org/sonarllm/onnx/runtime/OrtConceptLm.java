package org.sonarllm.onnx.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.sonarllm.onnx.graph.ConceptLmGraph;
import org.sonarllm.predict.ConceptLMBatch;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.predict.ConceptLMSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link ConceptLM} over one ORT session of the concept-LM graph. Thread-safe (ORT run is); its sessions and batches are not. */
final class OrtConceptLm implements ConceptLM {
    private static final Logger LOG = LoggerFactory.getLogger(OrtConceptLm.class);

    final OrtEnvironment env;
    final OrtSession session;
    final int dim;
    final int layers;
    final int kvHeads;
    final int headDim;
    /** Whether the graph has the position_ids/attention_mask inputs (several padded rows per call). */
    final boolean ragged;
    private final int contextLimit;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicInteger openCaches = new AtomicInteger();

    OrtConceptLm(OrtEnvironment env, OrtSession session, int dim, int layers, int kvHeads, int headDim,
            int contextLimit) {
        this.env = env;
        this.session = session;
        this.dim = dim;
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.contextLimit = contextLimit;
        this.ragged = session.getInputNames().contains(ConceptLmGraph.ATTENTION_MASK)
                && session.getInputNames().contains(ConceptLmGraph.POSITION_IDS);
        LOG.debug("concept LM: dim {}, {} layers, {} kv heads x {}, context limit {}, {}", dim, layers, kvHeads, headDim,
                contextLimit, ragged ? "batched rows" : "one row per call (graph without attention_mask)");
    }

    @Override
    public int dimension() {
        return dim;
    }

    @Override
    public int contextLimit() {
        return contextLimit;
    }

    @Override
    public ConceptLMSession newSession() {
        checkOpen();
        return OrtConceptLmSession.empty(this);
    }

    /**
     * Several rows in one graph call when the graph has {@code attention_mask} and {@code position_ids};
     * for older graphs one session per row.
     */
    @Override
    public ConceptLMBatch newBatch(int rows) {
        checkOpen();
        if (rows < 1) {
            throw new org.sonarllm.InvalidInputException("expected at least 1 row in a batch, found " + rows);
        }
        return ragged ? OrtConceptLmBatch.empty(this, rows) : ConceptLM.super.newBatch(rows);
    }

    /** @return caches (sessions and batches) created and not yet closed */
    int openCaches() {
        return openCaches.get();
    }

    void opened() {
        openCaches.incrementAndGet();
    }

    void closed() {
        openCaches.decrementAndGet();
    }

    void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("concept LM is closed");
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                session.close();
            } catch (OrtException e) {
                LOG.warn("closing the concept LM session failed: {}", e.getMessage());
            }
        }
    }
}
