package org.sonarllm.onnx.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.sonarllm.SonarLlmException;

/**
 * The decoder's self-attention keys and values for one search, preallocated in direct memory that ONNX
 * Runtime reads and writes in place: per layer one key and one value buffer {@code [rows, heads, length,
 * headDim]} (row-major; {@code length} positions reserved per row). A step writes its new positions into
 * the buffers itself (the graph's attention takes them as past and present at once), so nothing is
 * copied per step; rows are reordered here only when the search's rows change (beam parents, finished
 * sentences), and the length grows by doubling when a row outgrows it. Not thread-safe (one per search);
 * close it to release the tensors (the memory goes with the garbage collector).
 *
 * <pre>{@code
 * try (KvCache c = new KvCache(layers, heads, headDim, rows, 34)) {
 *     OnnxTensor k0 = c.keys(0, rows);     // [rows, heads, 34, headDim] over the buffer
 *     c.reorder(new int[] {1, 1, 0}, 3);   // row 0 and 1 continue old row 1, row 2 old row 0
 * }
 * }</pre>
 */
final class KvCache implements AutoCloseable {
    private final int layers;
    private final int heads;
    private final int headDim;
    private final int capacity;
    private int length;
    private FloatBuffer[] keys;
    private FloatBuffer[] values;
    private OnnxTensor[] keyViews;
    private OnnxTensor[] valueViews;
    private int viewRows = -1;
    private FloatBuffer scratch;

    /**
     * @param layers decoder layers @param heads heads @param headDim head size of the cache
     * @param capacity most rows @param length positions reserved per row at first
     */
    KvCache(int layers, int heads, int headDim, int capacity, int length) {
        this.layers = layers;
        this.heads = heads;
        this.headDim = headDim;
        this.capacity = capacity;
        allocate(Math.max(1, length));
    }

    private void allocate(int len) {
        long floats = (long) capacity * heads * len * headDim;
        if (floats * 4 > Integer.MAX_VALUE) {
            throw new SonarLlmException("decoder cache of " + capacity + " rows x " + len + " positions exceeds 2 GB"
                    + " per layer; decode fewer sentences at once (decoderBatchSize) or fewer tokens");
        }
        FloatBuffer[] k = new FloatBuffer[layers];
        FloatBuffer[] v = new FloatBuffer[layers];
        for (int l = 0; l < layers; l++) {
            k[l] = direct((int) floats);
            v[l] = direct((int) floats);
        }
        if (keys != null) {
            for (int l = 0; l < layers; l++) {
                widen(keys[l], k[l], length, len);
                widen(values[l], v[l], length, len);
            }
        }
        closeViews();
        keys = k;
        values = v;
        length = len;
    }

    private static FloatBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** Copies every row and head of {@code from} (oldLen positions each) into {@code to} (newLen each). */
    private void widen(FloatBuffer from, FloatBuffer to, int oldLen, int newLen) {
        int seg = oldLen * headDim;
        for (int rh = 0; rh < capacity * heads; rh++) {
            to.put(rh * newLen * headDim, from, rh * seg, seg);
        }
    }

    /** @return positions reserved per row */
    int length() {
        return length;
    }

    /**
     * Makes room for {@code needed} positions per row, doubling the reserved length (rows keep their
     * contents; views handed out before become invalid).
     *
     * @param needed positions the next step will have written
     */
    void ensureLength(int needed) {
        if (needed > length) {
            allocate(Math.max(needed, 2 * length));
        }
    }

    /**
     * @param layer a layer @param rows rows of this step
     * @return the keys of the first {@code rows} rows, {@code [rows, heads, length, headDim]}, over the buffer
     */
    OnnxTensor keys(int layer, int rows) {
        views(rows);
        return keyViews[layer];
    }

    /** @param layer a layer @param rows rows of this step @return the values, as {@link #keys} */
    OnnxTensor values(int layer, int rows) {
        views(rows);
        return valueViews[layer];
    }

    private void views(int rows) {
        if (rows == viewRows) {
            return;
        }
        closeViews();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[] shape = {rows, heads, length, headDim};
        int floats = rows * heads * length * headDim;
        keyViews = new OnnxTensor[layers];
        valueViews = new OnnxTensor[layers];
        try {
            for (int l = 0; l < layers; l++) {
                keyViews[l] = OnnxTensor.createTensor(env, keys[l].duplicate().position(0).limit(floats).slice(), shape);
                valueViews[l] = OnnxTensor.createTensor(env, values[l].duplicate().position(0).limit(floats).slice(),
                        shape);
            }
        } catch (OrtException e) {
            closeViews();
            throw new SonarLlmException("cannot create the decoder cache tensors: " + e.getMessage(), e);
        }
        viewRows = rows;
    }

    private void closeViews() {
        if (keyViews != null) {
            for (int l = 0; l < layers; l++) {
                if (keyViews[l] != null) {
                    keyViews[l].close();
                }
                if (valueViews[l] != null) {
                    valueViews[l].close();
                }
            }
        }
        keyViews = null;
        valueViews = null;
        viewRows = -1;
    }

    /**
     * Renumbers rows: new row {@code i} holds what old row {@code parents[i]} held, for the first
     * {@code filled} positions. Rows that stay in place are not copied.
     *
     * @param parents for each new row, its old row @param filled positions written so far
     */
    void reorder(int[] parents, int filled) {
        boolean identity = true;
        for (int i = 0; i < parents.length && identity; i++) {
            identity = parents[i] == i;
        }
        if (identity) {
            return;
        }
        int rowFloats = heads * length * headDim;
        int seg = filled * headDim;
        int need = parents.length * heads * seg;
        if (scratch == null || scratch.capacity() < need) {
            // sized for every row at the reserved length, so that it is not re-allocated (and zeroed) as the
            // filled part grows step by step; it grows again only when the cache does
            scratch = direct((int) Math.max(need, (long) Math.max(parents.length, capacity) * rowFloats));
        }
        for (FloatBuffer[] side : new FloatBuffer[][] {keys, values}) {
            for (FloatBuffer b : side) {
                // gather the parents' filled segments, then write them to their new rows
                for (int i = 0; i < parents.length; i++) {
                    for (int h = 0; h < heads; h++) {
                        scratch.put((i * heads + h) * seg, b, parents[i] * rowFloats + h * length * headDim, seg);
                    }
                }
                for (int i = 0; i < parents.length; i++) {
                    for (int h = 0; h < heads; h++) {
                        b.put(i * rowFloats + h * length * headDim, scratch, (i * heads + h) * seg, seg);
                    }
                }
            }
        }
    }

    /**
     * @param layer a layer @param row a row @param head a head @param pos a position
     * @return the key vector stored there (tests)
     */
    float[] key(int layer, int row, int head, int pos) {
        float[] out = new float[headDim];
        keys[layer].get((((row * heads) + head) * length + pos) * headDim, out);
        return out;
    }

    /** Writes a key vector (tests). @param layer l @param row r @param head h @param pos p @param v the vector */
    void putKey(int layer, int row, int head, int pos, float[] v) {
        keys[layer].put((((row * heads) + head) * length + pos) * headDim, v);
    }

    @Override
    public void close() {
        closeViews();
    }
}
