package org.sonarllm.onnx.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sonarllm.InvalidInputException;
import org.sonarllm.SonarLlmException;
import org.sonarllm.onnx.graph.ConceptLmGraph;
import org.sonarllm.predict.AbstractConceptLMBatch;

/**
 * Rows of the concept LM sharing one key/value cache {@code [rows, K, slots, d]} per layer, held as
 * native tensors (owned by the last {@link OrtSession.Result}, or directly for empty and copied
 * caches; both released by {@link #close()}). Appends are right-aligned: a row appending fewer
 * vectors than the longest pads the front of its new slots (mask 0), so every row's newest vector
 * sits in the last slot. Each row numbers its own positions. {@link #retain} copies the kept rows
 * and drops leading slots that are padding in all of them.
 *
 * <p>A graph without the {@code position_ids}/{@code attention_mask} inputs (bundles converted before
 * they existed) supports one unpadded row only, which is what a session needs. Not thread-safe.
 */
final class OrtConceptLmBatch extends AbstractConceptLMBatch {
    private final OrtConceptLm lm;
    private int rows;
    /** 2 * layers tensors: key 0, value 0, key 1, ... each [rows, K, slots, d]. */
    private List<OnnxTensor> cache;
    /** Owner of {@link #cache} when it came from a run; null when the tensors are owned directly. */
    private OrtSession.Result owner;
    private int slots;
    /** [rows * slots]: 1 for a real vector, 0 for padding. */
    private long[] mask;
    private int[] lengths;
    /** Width (new slots) of the last append. */
    private int lastWidth;

    private OrtConceptLmBatch(OrtConceptLm lm, int rows, List<OnnxTensor> cache, int slots, long[] mask, int[] lengths) {
        this.lm = lm;
        this.rows = rows;
        this.cache = cache;
        this.slots = slots;
        this.mask = mask;
        this.lengths = lengths;
        lm.opened();
    }

    static OrtConceptLmBatch empty(OrtConceptLm lm, int rows) {
        return new OrtConceptLmBatch(lm, rows, emptyCache(lm, rows), 0, new long[0], new int[rows]);
    }

    private static List<OnnxTensor> emptyCache(OrtConceptLm lm, int rows) {
        List<OnnxTensor> cache = new ArrayList<>();
        try {
            for (int i = 0; i < 2 * lm.layers; i++) {
                cache.add(OnnxTensor.createTensor(lm.env, FloatBuffer.allocate(0), new long[] {rows, lm.kvHeads, 0,
                        lm.headDim}));
            }
        } catch (OrtException e) {
            cache.forEach(OnnxTensor::close);
            throw new SonarLlmException("cannot allocate the concept LM cache: " + e.getMessage(), e);
        }
        return cache;
    }

    @Override
    public int size() {
        return rows;
    }

    @Override
    protected int lengthChecked(int row) {
        return lengths[row];
    }

    @Override
    protected List<float[]> appendChecked(List<List<float[]>> perRow) {
        float[] p = run(perRow);
        List<float[]> out = new ArrayList<>(rows);
        for (int r = 0; r < rows; r++) {
            out.add(row(p, r, lastWidth - 1));
        }
        return out;
    }

    /** @return prediction {@code j} of row {@code r} in a flat {@code [rows, width, dim]} output */
    float[] row(float[] predicted, int r, int j) {
        float[] v = new float[lm.dim];
        System.arraycopy(predicted, (r * lastWidth + j) * lm.dim, v, 0, lm.dim);
        return v;
    }

    int lastWidth() {
        return lastWidth;
    }

    /**
     * Runs the graph on the new vectors of every row (checked non-empty by the caller).
     *
     * @return the predictions, flat {@code [rows, width, dim]}, row r's real ones in its last n_r slots
     */
    float[] run(List<List<float[]>> perRow) {
        checkOpen();
        lm.checkOpen();
        if (rows == 0) {
            lastWidth = 0;
            return new float[0];
        }
        int width = 0;
        for (int r = 0; r < rows; r++) {
            int n = perRow.get(r).size();
            width = Math.max(width, n);
            if (lengths[r] + n > lm.contextLimit()) {
                throw new InvalidInputException((rows == 1 ? "session" : "row " + r) + " holds " + lengths[r]
                        + " vectors; appending " + n + " exceeds the context limit of " + lm.contextLimit());
            }
        }
        if (!lm.ragged && (rows != 1 || slots != lengths[0])) {
            throw new IllegalStateException("this concept-LM graph has no " + ConceptLmGraph.ATTENTION_MASK
                    + " input: one unpadded row only");
        }
        FloatBuffer x = direct(rows * width * lm.dim);
        long[] pos = new long[rows * width];
        long[] newMask = new long[rows * (slots + width)];
        for (int r = 0; r < rows; r++) {
            List<float[]> vs = perRow.get(r);
            int pad = width - vs.size();
            System.arraycopy(mask, r * slots, newMask, r * (slots + width), slots);
            for (int j = 0; j < width; j++) {
                boolean real = j >= pad;
                x.position((r * width + j) * lm.dim);
                if (real) {
                    x.put(check(vs.get(j - pad), j - pad));
                }
                pos[r * width + j] = lengths[r] + Math.max(0, j - pad);
                newMask[r * (slots + width) + slots + j] = real ? 1 : 0;
            }
        }
        x.rewind();
        OrtSession.Result result;
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            Map<String, OnnxTensor> inputs = new HashMap<>();
            inputs.put(ConceptLmGraph.EMBEDDINGS, own(owned, OnnxTensor.createTensor(lm.env, x,
                    new long[] {rows, width, lm.dim})));
            if (lm.ragged) {
                inputs.put(ConceptLmGraph.POSITION_IDS, own(owned, OnnxTensor.createTensor(lm.env, LongBuffer.wrap(pos),
                        new long[] {rows, width})));
                inputs.put(ConceptLmGraph.ATTENTION_MASK, own(owned, OnnxTensor.createTensor(lm.env,
                        LongBuffer.wrap(newMask), new long[] {rows, slots + width})));
            }
            for (int l = 0; l < lm.layers; l++) {
                inputs.put(ConceptLmGraph.pastKey(l), cache.get(2 * l));
                inputs.put(ConceptLmGraph.pastValue(l), cache.get(2 * l + 1));
            }
            result = lm.session.run(inputs);
        } catch (OrtException e) {
            throw new SonarLlmException("concept LM run failed: " + e.getMessage(), e);
        } finally {
            owned.forEach(OnnxTensor::close);
        }
        float[] out;
        List<OnnxTensor> present = new ArrayList<>(2 * lm.layers);
        try {
            FloatBuffer p = ((OnnxTensor) get(result, ConceptLmGraph.PREDICTED)).getFloatBuffer();
            out = new float[rows * width * lm.dim];
            p.get(out);
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
        slots += width;
        mask = newMask;
        for (int r = 0; r < rows; r++) {
            lengths[r] += perRow.get(r).size();
        }
        lastWidth = width;
        return out;
    }

    private float[] check(float[] e, int i) {
        if (e == null || e.length != lm.dim) {
            throw new InvalidInputException("vector " + i + ": expected dimension " + lm.dim + ", found "
                    + (e == null ? "null" : e.length));
        }
        for (float f : e) {
            if (!Float.isFinite(f)) {
                throw new InvalidInputException("vector " + i + ": expected finite values, found " + f);
            }
        }
        return e;
    }

    private static OnnxTensor own(List<OnnxTensor> owned, OnnxTensor t) {
        owned.add(t);
        return t;
    }

    private static FloatBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static OnnxValue get(OrtSession.Result r, String name) {
        return r.get(name).orElseThrow(() -> new SonarLlmException("concept LM graph has no output " + name));
    }

    @Override
    protected void retainChecked(int[] keep) {
        boolean identity = keep.length == rows;
        for (int i = 0; identity && i < keep.length; i++) {
            identity = keep[i] == i;
        }
        if (identity) {
            return;
        }
        int first = slots;
        for (int r : keep) {
            int s = 0;
            while (s < slots && mask[r * slots + s] == 0) {
                s++;
            }
            first = Math.min(first, s);
        }
        replaceWith(keep, first);
    }

    /** Replaces the cache with rows {@code keep} of it, from slot {@code first} on. */
    private void replaceWith(int[] keep, int first) {
        int kept = slots - first;
        List<OnnxTensor> copy = new ArrayList<>(cache.size());
        try {
            for (OnnxTensor t : cache) {
                FloatBuffer src = t.getFloatBuffer();
                FloatBuffer dst = direct(keep.length * lm.kvHeads * kept * lm.headDim);
                for (int r : keep) {
                    for (int h = 0; h < lm.kvHeads; h++) {
                        int from = ((r * lm.kvHeads + h) * slots + first) * lm.headDim;
                        dst.put(src.duplicate().position(from).limit(from + kept * lm.headDim));
                    }
                }
                dst.rewind();
                copy.add(OnnxTensor.createTensor(lm.env, dst, new long[] {keep.length, lm.kvHeads, kept, lm.headDim}));
            }
        } catch (OrtException e) {
            copy.forEach(OnnxTensor::close);
            throw new SonarLlmException("cannot copy the concept LM cache: " + e.getMessage(), e);
        }
        long[] newMask = new long[keep.length * kept];
        int[] newLengths = new int[keep.length];
        for (int i = 0; i < keep.length; i++) {
            System.arraycopy(mask, keep[i] * slots + first, newMask, i * kept, kept);
            newLengths[i] = lengths[keep[i]];
        }
        releaseCache();
        cache = copy;
        rows = keep.length;
        slots = kept;
        mask = newMask;
        lengths = newLengths;
    }

    /** @return an independent copy (same rows, copied cache) */
    OrtConceptLmBatch copy() {
        checkOpen();
        lm.checkOpen();
        List<OnnxTensor> copy = new ArrayList<>(cache.size());
        try {
            for (OnnxTensor t : cache) {
                FloatBuffer src = t.getFloatBuffer();
                FloatBuffer dst = direct(src.remaining());
                dst.put(src).rewind();
                copy.add(OnnxTensor.createTensor(lm.env, dst, t.getInfo().getShape()));
            }
        } catch (OrtException e) {
            copy.forEach(OnnxTensor::close);
            throw new SonarLlmException("cannot copy the concept LM cache: " + e.getMessage(), e);
        }
        OrtConceptLmBatch c = new OrtConceptLmBatch(lm, rows, copy, slots, mask.clone(), lengths.clone());
        c.lastWidth = lastWidth;
        return c;
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
    protected void release() {
        releaseCache();
        cache = List.of();
        lm.closed();
    }
}
