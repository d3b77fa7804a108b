package org.sonarllm.onnx.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sonarllm.SonarLlmException;
import org.sonarllm.onnx.graph.SonarDecoderGraph;

/**
 * Runs decoder.onnx one step at a time and carries the KV cache between steps as the ONNX Runtime
 * output tensors themselves (no copy into Java). Holds the sessions and the pool of cache memory
 * ({@link CacheBuffers}) kept between searches: thread-safe.
 */
final class DecoderRunner {
    private final OrtSession decoder;
    private final OrtSession cross;
    final int layers;
    final int heads;
    final int headDim;
    final int dim;
    final int vocab;

    /** Whether decoder.onnx has the in-place cache (else the concatenated one of earlier bundles). */
    final boolean inPlace;
    /** Head size of the in-place cache (the head size rounded up to a multiple of 8). */
    final int cacheHeadDim;
    /** The in-place caches' memory, kept between searches (thread-safe). */
    final CacheBuffers buffers = new CacheBuffers();

    DecoderRunner(OrtSession decoder, OrtSession cross, String decFile, String crossFile, int layers, int heads,
            int dim, int vocab) {
        this.decoder = decoder;
        this.cross = cross;
        this.layers = layers;
        this.heads = heads;
        this.headDim = dim / heads;
        this.dim = dim;
        this.vocab = vocab;
        OrtSessions.requireInput(cross, crossFile, SonarDecoderGraph.EMBEDDING, OnnxJavaType.FLOAT, -1, dim);
        OrtSessions.requireOutput(cross, crossFile, SonarDecoderGraph.CROSS, OnnxJavaType.FLOAT, -1, layers, dim);
        OrtSessions.requireInput(decoder, decFile, SonarDecoderGraph.INPUT_IDS, OnnxJavaType.INT64, -1, -1);
        OrtSessions.requireInput(decoder, decFile, SonarDecoderGraph.CROSS, OnnxJavaType.FLOAT, -1, layers, dim);
        OrtSessions.requireOutput(decoder, decFile, SonarDecoderGraph.LOGITS, OnnxJavaType.FLOAT, -1, -1, vocab);
        OrtSessions.requireOutput(decoder, decFile, SonarDecoderGraph.LOG_PROBS, OnnxJavaType.FLOAT, -1, -1, vocab);
        int inputs;
        try {
            inPlace = decoder.getInputInfo().containsKey(SonarDecoderGraph.SEQLENS_K);
        } catch (OrtException e) {
            throw new org.sonarllm.ModelFormatException(decFile + ": cannot read graph inputs: " + e.getMessage(), e);
        }
        if (inPlace) {
            cacheHeadDim = SonarDecoderGraph.cacheHeadDim(headDim);
            OrtSessions.requireInput(decoder, decFile, SonarDecoderGraph.ROW_SENTENCE, OnnxJavaType.INT64, -1);
            OrtSessions.requireInput(decoder, decFile, SonarDecoderGraph.SEQLENS_K, OnnxJavaType.INT32, -1);
            OrtSessions.requireInput(decoder, decFile, SonarDecoderGraph.TOTAL_LENGTH, OnnxJavaType.INT32);
            OrtSessions.requireInput(decoder, decFile, SonarDecoderGraph.TOP_K, OnnxJavaType.INT64, 1);
            OrtSessions.requireInput(decoder, decFile, SonarDecoderGraph.SCORE_IDS, OnnxJavaType.INT64, -1, -1);
            OrtSessions.requireOutput(decoder, decFile, SonarDecoderGraph.TOP_LOG_PROBS, OnnxJavaType.FLOAT, -1, -1, -1);
            OrtSessions.requireOutput(decoder, decFile, SonarDecoderGraph.TOP_IDS, OnnxJavaType.INT64, -1, -1, -1);
            OrtSessions.requireOutput(decoder, decFile, SonarDecoderGraph.SCORE_LOG_PROBS, OnnxJavaType.FLOAT, -1, -1);
            inputs = 7;
        } else {
            cacheHeadDim = headDim;
            OrtSessions.requireInput(decoder, decFile, SonarDecoderGraph.CACHE_INDEX, OnnxJavaType.INT64, -1);
            inputs = 3;
        }
        for (int l = 0; l < layers; l++) {
            OrtSessions.requireInput(decoder, decFile, SonarDecoderGraph.pastKey(l), OnnxJavaType.FLOAT, -1, heads, -1,
                    cacheHeadDim);
            OrtSessions.requireInput(decoder, decFile, SonarDecoderGraph.pastValue(l), OnnxJavaType.FLOAT, -1, heads, -1,
                    cacheHeadDim);
            OrtSessions.requireOutput(decoder, decFile, SonarDecoderGraph.presentKey(l), OnnxJavaType.FLOAT, -1, heads,
                    -1, cacheHeadDim);
            OrtSessions.requireOutput(decoder, decFile, SonarDecoderGraph.presentValue(l), OnnxJavaType.FLOAT, -1, heads,
                    -1, cacheHeadDim);
        }
        if (decoder.getNumInputs() != inputs + 2L * layers) {
            throw new org.sonarllm.ModelFormatException(decFile + ": expected " + (inputs + 2 * layers)
                    + " inputs, found " + decoder.getNumInputs());
        }
    }

    /** Closes both sessions and drops the kept cache memory (idempotent through the owner's guard). */
    void close() {
        buffers.clear();
        for (OrtSession s : new OrtSession[] {decoder, cross}) {
            try {
                s.close();
            } catch (OrtException ignored) {
                // best effort
            }
        }
    }

    /** The KV cache of one batch: owns the ONNX Runtime result holding the present tensors. */
    static final class Cache implements AutoCloseable {
        private final OrtSession.Result result;
        private final List<OnnxTensor> keys;
        private final List<OnnxTensor> values;

        Cache(OrtSession.Result result, List<OnnxTensor> keys, List<OnnxTensor> values) {
            this.result = result;
            this.keys = keys;
            this.values = values;
        }

        @Override
        public void close() {
            result.close();
        }
    }

    /** Logits or log-probabilities of one step plus the cache to continue from (null when not requested). */
    record Step(float[] logits, int rows, int positions, Cache cache) {
        /** @return offset of (row, position) in {@link #logits} */
        int offset(int row, int pos) {
            return (row * positions + pos) * logitsWidth();
        }

        int logitsWidth() {
            return logits.length / (rows * positions);
        }
    }

    /**
     * A stepper for one search.
     *
     * @param crossAll {@code [sentences, layers * d]} cross terms @param sentences sentences
     * @param beam hypotheses per sentence (1 for greedy and sampling) @param maxTokens token limit
     * @param kv whether to use the self-attention cache (else every step re-runs whole sequences)
     * @return the stepper; close it
     */
    Stepper stepper(float[] crossAll, int sentences, int beam, int maxTokens, boolean kv) {
        if (!inPlace) {
            return new ConcatCacheStepper(this, crossAll, kv);
        }
        // the cache grows by doubling: reserve what short sentences need
        return new InPlaceCacheStepper(decoder, buffers, layers, heads, cacheHeadDim, vocab, crossAll, sentences, dim,
                sentences * beam, 2 + Math.min(maxTokens, INITIAL_TOKENS), kv);
    }

    /** Tokens reserved per row of a new cache before it grows. */
    static final int INITIAL_TOKENS = 30;

    /**
     * Teacher forcing: logits of every position of rows of one length, from an empty cache.
     *
     * @param ids {@code rows * positions} ids @param rows rows @param positions length
     * @param crossAll {@code [rows, layers * d]} cross terms, one row each
     * @return {@code [rows, positions, vocab]} logits, row-major
     */
    float[] teacherForcing(long[] ids, int rows, int positions, float[] crossAll) {
        if (!inPlace) {
            return step(ids, rows, positions, crossAll, null, null, false, false).logits();
        }
        try (InPlaceCacheStepper s = new InPlaceCacheStepper(decoder, buffers, layers, heads, cacheHeadDim, vocab,
                crossAll, rows, dim, rows, positions, false)) {
            return s.logits(ids, rows, positions);
        }
    }

    /**
     * @param embeddings rows of d floats
     * @return the per-layer cross terms, {@code [rows, layers * d]} flattened
     */
    float[] crossTerms(List<float[]> embeddings) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[] flat = new float[embeddings.size() * dim];
        for (int i = 0; i < embeddings.size(); i++) {
            System.arraycopy(embeddings.get(i), 0, flat, i * dim, dim);
        }
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(flat), new long[] {embeddings.size(), dim});
                OrtSession.Result r = cross.run(Map.of(SonarDecoderGraph.EMBEDDING, t))) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] out = new float[fb.remaining()];
            fb.get(out);
            return out;
        } catch (OrtException e) {
            throw new SonarLlmException("decoder cross-term run failed: " + e.getMessage(), e);
        }
    }

    /**
     * Runs one step.
     *
     * @param ids {@code rows * positions} new token ids
     * @param rows batch rows @param positions new tokens per row
     * @param crossRows {@code rows * layers * d} cross terms of each row
     * @param cacheIndex for each row, the row of {@code past} it continues (ignored when past is null)
     * @param past the previous cache, or null to start from an empty one
     * @param keepCache whether to return the new cache (else it is closed at once)
     * @param logProbs whether to return log-probabilities (else raw logits)
     * @return {@code [rows, positions, vocab]} values and the new cache
     */
    Step step(long[] ids, int rows, int positions, float[] crossRows, long[] cacheIndex, Cache past, boolean keepCache,
            boolean logProbs) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        List<OnnxTensor> owned = new ArrayList<>();
        OrtSession.Result result = null;
        try {
            Map<String, OnnxTensor> in = new HashMap<>();
            in.put(SonarDecoderGraph.INPUT_IDS, own(owned,
                    OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {rows, positions})));
            in.put(SonarDecoderGraph.CROSS, own(owned,
                    OnnxTensor.createTensor(env, FloatBuffer.wrap(crossRows), new long[] {rows, layers, dim})));
            long[] idx = cacheIndex;
            if (past == null) {
                idx = new long[rows];
                for (int i = 0; i < rows; i++) {
                    idx[i] = i;
                }
                OnnxTensor empty = own(owned,
                        OnnxTensor.createTensor(env, FloatBuffer.allocate(0), new long[] {rows, heads, 0, headDim}));
                for (int l = 0; l < layers; l++) {
                    in.put(SonarDecoderGraph.pastKey(l), empty);
                    in.put(SonarDecoderGraph.pastValue(l), empty);
                }
            } else {
                for (int l = 0; l < layers; l++) {
                    in.put(SonarDecoderGraph.pastKey(l), past.keys.get(l));
                    in.put(SonarDecoderGraph.pastValue(l), past.values.get(l));
                }
            }
            in.put(SonarDecoderGraph.CACHE_INDEX, own(owned,
                    OnnxTensor.createTensor(env, LongBuffer.wrap(idx), new long[] {rows})));
            String wanted = logProbs ? SonarDecoderGraph.LOG_PROBS : SonarDecoderGraph.LOGITS;
            java.util.Set<String> outs = new java.util.HashSet<>();
            outs.add(wanted);
            if (keepCache) {
                for (int l = 0; l < layers; l++) {
                    outs.add(SonarDecoderGraph.presentKey(l));
                    outs.add(SonarDecoderGraph.presentValue(l));
                }
            }
            result = decoder.run(in, outs);
            FloatBuffer fb = ((OnnxTensor) result.get(wanted).orElseThrow()).getFloatBuffer();
            float[] logits = new float[fb.remaining()];
            fb.get(logits);
            Cache cache = null;
            if (keepCache) {
                List<OnnxTensor> k = new ArrayList<>(layers);
                List<OnnxTensor> v = new ArrayList<>(layers);
                for (int l = 0; l < layers; l++) {
                    k.add((OnnxTensor) result.get(SonarDecoderGraph.presentKey(l)).orElseThrow());
                    v.add((OnnxTensor) result.get(SonarDecoderGraph.presentValue(l)).orElseThrow());
                }
                cache = new Cache(result, k, v);
                result = null;
            }
            return new Step(logits, rows, positions, cache);
        } catch (OrtException e) {
            throw new SonarLlmException("decoder run failed: " + e.getMessage(), e);
        } finally {
            if (result != null) {
                result.close();
            }
            for (OnnxTensor t : owned) {
                t.close();
            }
        }
    }

    private static OnnxTensor own(List<OnnxTensor> owned, OnnxTensor t) {
        owned.add(t);
        return t;
    }
}
