package org.sonarllm.onnx.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.concurrent.atomic.AtomicBoolean;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.predict.ConceptLMSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link ConceptLM} over one ORT session of the concept-LM graph. Thread-safe (ORT run is). */
final class OrtConceptLm implements ConceptLM {
    private static final Logger LOG = LoggerFactory.getLogger(OrtConceptLm.class);

    final OrtEnvironment env;
    final OrtSession session;
    final int dim;
    final int layers;
    final int kvHeads;
    final int headDim;
    private final int contextLimit;
    private final AtomicBoolean closed = new AtomicBoolean();

    OrtConceptLm(OrtEnvironment env, OrtSession session, int dim, int layers, int kvHeads, int headDim,
            int contextLimit) {
        this.env = env;
        this.session = session;
        this.dim = dim;
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.contextLimit = contextLimit;
        LOG.debug("concept LM: dim {}, {} layers, {} kv heads x {}, context limit {}", dim, layers, kvHeads, headDim,
                contextLimit);
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
