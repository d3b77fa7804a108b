package org.sonarllm.onnx.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.sonarllm.SonarLlmException;
import org.sonarllm.onnx.graph.SonarDecoderGraph;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * The {@link Stepper} of decoder graphs with the in-place cache: each layer's keys and values live in a
 * {@link KvCache} that the graph's attention reads as past and writes as present (the same memory, bound
 * as a pinned output), the sentence's cross terms are picked per row inside the graph, and only the
 * {@code k} best tokens of each row, the log-probability of {@code </s>} and of the scored prompt token
 * leave the graph (whole rows only when sampling asks). Rows are reordered in the cache only when they
 * change. Without the cache every step re-runs each row's whole sequence into a fresh one.
 */
final class InPlaceCacheStepper implements Stepper {
    private final OrtSession session;
    private final int layers;
    private final int vocab;
    private final KvCache cache;
    private final OnnxTensor cross;
    private final boolean kv;
    private int filled;

    /**
     * @param session decoder.onnx @param buffers where the cache's memory comes from @param layers layers @param heads heads @param cacheHeadDim head size of the
     *     cache @param vocab vocabulary @param crossAll {@code [sentences, layers * d]} @param sentences sentences
     * @param dim d @param rows most rows @param length positions to reserve @param kv whether to keep the cache
     */
    InPlaceCacheStepper(OrtSession session, CacheBuffers buffers, int layers, int heads, int cacheHeadDim, int vocab,
            float[] crossAll, int sentences, int dim, int rows, int length, boolean kv) {
        this.session = session;
        this.layers = layers;
        this.vocab = vocab;
        this.kv = kv;
        this.cache = new KvCache(buffers, layers, heads, cacheHeadDim, rows, length);
        try {
            this.cross = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), FloatBuffer.wrap(crossAll),
                    new long[] {sentences, layers, dim});
        } catch (OrtException e) {
            cache.close();
            throw new SonarLlmException("cannot create the decoder's cross-term tensor: " + e.getMessage(), e);
        }
    }

    @Override
    public StepResult prefill(int sentences, int lang, int k, boolean full) {
        int[] rows = new int[sentences];
        int[][] seqs = new int[sentences][];
        for (int i = 0; i < sentences; i++) {
            rows[i] = i;
            seqs[i] = new int[] {SonarTokenizer.EOS, lang};
        }
        filled = 0;
        return run(rows, seqs, 2, k, full, true);
    }

    @Override
    public StepResult next(int[] parents, int[] sentences, int[][] seqs, int k, boolean full) {
        if (kv) {
            cache.reorder(parents, filled);
            return run(sentences, seqs, 1, k, full, false);
        }
        filled = 0;
        return run(sentences, seqs, seqs[0].length, k, full, false);
    }

    /**
     * Teacher forcing from an empty cache: the logits of every position.
     *
     * @param ids {@code rows * positions} ids @param rows rows (row i is sentence i) @param positions length
     * @return {@code [rows, positions, vocab]} logits
     */
    float[] logits(long[] ids, int rows, int positions) {
        int[] sentences = new int[rows];
        int[][] seqs = new int[rows][positions];
        for (int i = 0; i < rows; i++) {
            sentences[i] = i;
            for (int t = 0; t < positions; t++) {
                seqs[i][t] = (int) ids[i * positions + t];
            }
        }
        filled = 0;
        float[][] out = new float[1][];
        run(sentences, seqs, positions, 1, false, false, out);
        return out[0];
    }

    /** Runs the last {@code positions} tokens of every row after the {@code filled} cached ones. */
    private StepResult run(int[] sentences, int[][] seqs, int positions, int k, boolean full, boolean scorePrompt) {
        return run(sentences, seqs, positions, k, full, scorePrompt, null);
    }

    /** As above; when {@code logitsOut} is given, its first element receives all positions' logits. */
    private StepResult run(int[] sentences, int[][] seqs, int positions, int k, boolean full, boolean scorePrompt,
            float[][] logitsOut) {
        int n = sentences.length;
        int total = filled + positions;
        cache.ensureLength(total);
        long[] ids = new long[n * positions];
        long[] scored = new long[n * positions];
        long[] rowSentence = new long[n];
        int[] seqlens = new int[n];
        for (int i = 0; i < n; i++) {
            int[] s = seqs[i];
            for (int t = 0; t < positions; t++) {
                ids[i * positions + t] = s[s.length - positions + t];
                // log-prob of the next token of the prompt, else of </s>, at each position
                scored[i * positions + t] = scorePrompt && t + 1 < positions ? s[t + 1] : SonarTokenizer.EOS;
            }
            rowSentence[i] = sentences[i];
            seqlens[i] = total - 1;
        }
        int kk = Math.min(k, vocab);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, OnnxTensor> in = new HashMap<>();
        Map<String, OnnxValue> pinned = new HashMap<>();
        try (OnnxTensor tIds = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {n, positions});
                OnnxTensor tScored = OnnxTensor.createTensor(env, LongBuffer.wrap(scored), new long[] {n, positions});
                OnnxTensor tRows = OnnxTensor.createTensor(env, LongBuffer.wrap(rowSentence), new long[] {n});
                OnnxTensor tLens = OnnxTensor.createTensor(env, IntBuffer.wrap(seqlens), new long[] {n});
                OnnxTensor tTotal = OnnxTensor.createTensor(env, IntBuffer.wrap(new int[] {total}), new long[] {});
                OnnxTensor tK = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {kk}), new long[] {1})) {
            in.put(SonarDecoderGraph.INPUT_IDS, tIds);
            in.put(SonarDecoderGraph.SCORE_IDS, tScored);
            in.put(SonarDecoderGraph.ROW_SENTENCE, tRows);
            in.put(SonarDecoderGraph.SEQLENS_K, tLens);
            in.put(SonarDecoderGraph.TOTAL_LENGTH, tTotal);
            in.put(SonarDecoderGraph.TOP_K, tK);
            in.put(SonarDecoderGraph.CROSS, cross);
            for (int l = 0; l < layers; l++) {
                in.put(SonarDecoderGraph.pastKey(l), cache.keys(l, n));
                in.put(SonarDecoderGraph.pastValue(l), cache.values(l, n));
                pinned.put(SonarDecoderGraph.presentKey(l), cache.keys(l, n));
                pinned.put(SonarDecoderGraph.presentValue(l), cache.values(l, n));
            }
            Set<String> wanted = new HashSet<>(Set.of(SonarDecoderGraph.TOP_LOG_PROBS, SonarDecoderGraph.TOP_IDS,
                    SonarDecoderGraph.SCORE_LOG_PROBS));
            if (full) {
                wanted.add(SonarDecoderGraph.LOG_PROBS);
            }
            if (logitsOut != null) {
                wanted.add(SonarDecoderGraph.LOGITS);
            }
            try (OrtSession.Result r = session.run(in, wanted, pinned)) {
                filled = total;
                if (logitsOut != null) {
                    FloatBuffer fb = tensor(r, SonarDecoderGraph.LOGITS).getFloatBuffer();
                    logitsOut[0] = new float[fb.remaining()];
                    fb.get(logitsOut[0]);
                }
                return result(r, n, positions, kk, full, scorePrompt);
            }
        } catch (OrtException e) {
            throw new SonarLlmException("decoder run failed: " + e.getMessage(), e);
        }
    }

    private StepResult result(OrtSession.Result r, int n, int positions, int k, boolean full, boolean scorePrompt)
            throws OrtException {
        FloatBuffer topLp = tensor(r, SonarDecoderGraph.TOP_LOG_PROBS).getFloatBuffer();
        LongBuffer topIds = tensor(r, SonarDecoderGraph.TOP_IDS).getLongBuffer();
        FloatBuffer score = tensor(r, SonarDecoderGraph.SCORE_LOG_PROBS).getFloatBuffer();
        int[] ids = new int[n * k];
        float[] vals = new float[n * k];
        float[] eos = new float[n];
        float[] prompt = scorePrompt ? new float[n] : null;
        int last = positions - 1;
        for (int i = 0; i < n; i++) {
            int src = (i * positions + last) * k;
            for (int j = 0; j < k; j++) {
                ids[i * k + j] = (int) topIds.get(src + j);
                vals[i * k + j] = topLp.get(src + j);
            }
            eos[i] = score.get(i * positions + last);
            if (prompt != null) {
                prompt[i] = score.get(i * positions);
            }
        }
        float[] rows = null;
        if (full) {
            FloatBuffer lp = tensor(r, SonarDecoderGraph.LOG_PROBS).getFloatBuffer();
            rows = new float[n * vocab];
            for (int i = 0; i < n; i++) {
                lp.get((i * positions + last) * vocab, rows, i * vocab, vocab);
            }
        }
        return new StepResult(n, k, ids, vals, eos, prompt, rows, vocab);
    }

    private static OnnxTensor tensor(OrtSession.Result r, String name) {
        return (OnnxTensor) r.get(name).orElseThrow(() -> new SonarLlmException("decoder output " + name + " missing"));
    }

    @Override
    public void close() {
        cache.close();
        cross.close();
    }
}
