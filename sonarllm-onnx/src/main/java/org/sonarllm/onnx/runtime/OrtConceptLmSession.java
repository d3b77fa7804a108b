package org.sonarllm.onnx.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sonarllm.InvalidInputException;
import org.sonarllm.SonarLlmException;
import org.sonarllm.onnx.graph.ConceptLmGraph;
import org.sonarllm.predict.ConceptLMSession;

/**
 * A growing sequence with its key/value cache held as native tensors. The cache tensors are owned
 * either by the last {@link OrtSession.Result} (after a run) or by this session (empty or forked
 * caches); both are released by {@link #close()}. Not thread-safe.
 */
final class OrtConceptLmSession implements ConceptLMSession {
    private final OrtConceptLm lm;
    /** 2 * layers tensors: key 0, value 0, key 1, ... each [1, K, length, d]. */
    private List<OnnxTensor> cache;
    /** Owner of {@link #cache} when it came from a run; null when the tensors are owned directly. */
    private OrtSession.Result owner;
    private int length;
    private float[] next;
    private boolean closed;

    private OrtConceptLmSession(OrtConceptLm lm, List<OnnxTensor> cache, int length, float[] next) {
        this.lm = lm;
        this.cache = cache;
        this.length = length;
        this.next = next;
    }

    static OrtConceptLmSession empty(OrtConceptLm lm) {
        List<OnnxTensor> cache = new ArrayList<>();
        try {
            for (int i = 0; i < 2 * lm.layers; i++) {
                cache.add(OnnxTensor.createTensor(lm.env, FloatBuffer.allocate(0), new long[] {1, lm.kvHeads, 0,
                        lm.headDim}));
            }
        } catch (OrtException e) {
            cache.forEach(OnnxTensor::close);
            throw new SonarLlmException("cannot allocate the concept LM cache: " + e.getMessage(), e);
        }
        return new OrtConceptLmSession(lm, cache, 0, null);
    }

    @Override
    public List<float[]> append(List<float[]> embeddings) {
        checkOpen();
        lm.checkOpen();
        if (embeddings == null || embeddings.isEmpty()) {
            throw new InvalidInputException("expected at least one vector to append, found none");
        }
        int n = embeddings.size();
        if (length + n > lm.contextLimit()) {
            throw new InvalidInputException("session holds " + length + " vectors; appending " + n
                    + " exceeds the context limit of " + lm.contextLimit());
        }
        ByteBuffer bytes = ByteBuffer.allocateDirect(n * lm.dim * 4).order(ByteOrder.nativeOrder());
        FloatBuffer in = bytes.asFloatBuffer();
        for (int i = 0; i < n; i++) {
            float[] e = embeddings.get(i);
            if (e == null || e.length != lm.dim) {
                throw new InvalidInputException("vector " + i + ": expected dimension " + lm.dim + ", found "
                        + (e == null ? "null" : e.length));
            }
            for (float f : e) {
                if (!Float.isFinite(f)) {
                    throw new InvalidInputException("vector " + i + ": expected finite values, found " + f);
                }
            }
            in.put(e);
        }
        in.rewind();
        OrtSession.Result result;
        try (OnnxTensor x = OnnxTensor.createTensor(lm.env, in, new long[] {1, n, lm.dim})) {
            Map<String, OnnxTensor> inputs = new HashMap<>();
            inputs.put(ConceptLmGraph.EMBEDDINGS, x);
            for (int l = 0; l < lm.layers; l++) {
                inputs.put(ConceptLmGraph.pastKey(l), cache.get(2 * l));
                inputs.put(ConceptLmGraph.pastValue(l), cache.get(2 * l + 1));
            }
            result = lm.session.run(inputs);
        } catch (OrtException e) {
            throw new SonarLlmException("concept LM run failed: " + e.getMessage(), e);
        }
        List<float[]> out = new ArrayList<>(n);
        List<OnnxTensor> present = new ArrayList<>(2 * lm.layers);
        try {
            FloatBuffer p = ((OnnxTensor) get(result, ConceptLmGraph.PREDICTED)).getFloatBuffer();
            for (int i = 0; i < n; i++) {
                float[] row = new float[lm.dim];
                p.get(row);
                out.add(row);
            }
            for (int l = 0; l < lm.layers; l++) {
                present.add((OnnxTensor) get(result, ConceptLmGraph.presentKey(l)));
                present.add((OnnxTensor) get(result, ConceptLmGraph.presentValue(l)));
            }
        } catch (RuntimeException e) {
            result.close();
            throw e;
        }
        releaseCache();
        cache = present;
        owner = result;
        length += n;
        next = out.get(n - 1);
        return out;
    }

    private static OnnxValue get(OrtSession.Result r, String name) {
        return r.get(name).orElseThrow(() -> new SonarLlmException("concept LM graph has no output " + name));
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
        return length;
    }

    @Override
    public ConceptLMSession fork() {
        checkOpen();
        lm.checkOpen();
        List<OnnxTensor> copy = new ArrayList<>(cache.size());
        try {
            for (OnnxTensor t : cache) {
                FloatBuffer src = t.getFloatBuffer();
                FloatBuffer dst = ByteBuffer.allocateDirect(src.remaining() * 4).order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
                dst.put(src).rewind();
                copy.add(OnnxTensor.createTensor(lm.env, dst, t.getInfo().getShape()));
            }
        } catch (OrtException e) {
            copy.forEach(OnnxTensor::close);
            throw new SonarLlmException("cannot copy the concept LM cache: " + e.getMessage(), e);
        }
        return new OrtConceptLmSession(lm, copy, length, next);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("concept LM session is closed");
        }
    }

    private void releaseCache() {
        if (owner != null) {
            owner.close();
            owner = null;
        } else {
            cache.forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            releaseCache();
            cache = List.of();
        }
    }
}
