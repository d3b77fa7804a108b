package org.sonarllm.onnx.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.FloatBuffer;
import org.sonarllm.SonarLlmException;

/**
 * The decoder's self-attention keys and values for one search, preallocated in direct memory that ONNX
 * Runtime reads and writes in place: per layer one key and one value buffer {@code [rows, heads, length,
 * headDim]} (row-major; {@code length} positions reserved per row). A step writes its new positions into
 * the buffers itself (the graph's attention takes them as past and present at once), so nothing is
 * copied per step; rows are reordered here only when the search's rows change (beam parents, finished
 * sentences), and the length grows by doubling when a row outgrows it. The buffers come from the decoder's
 * {@link CacheBuffers} and go back to it on close (positions a search has not written hold whatever an
 * earlier search left there: the attention reads only written ones). Not thread-safe (one per search);
 * close it to release the tensors and give the buffers back.
 *
 * <pre>{@code
 * try (KvCache c = new KvCache(pool, layers, heads, headDim, rows, 34)) {
 *     OnnxTensor k0 = c.keys(0, rows);     // [rows, heads, 34, headDim] over the buffer
 *     c.reorder(new int[] {1, 1, 0}, 3);   // row 0 and 1 continue old row 1, row 2 old row 0
 * }
 * }</pre>
 */
final class KvCache implements AutoCloseable {
    private final CacheBuffers pool;
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
     * @param pool where the buffers come from @param layers decoder layers @param heads heads
     * @param headDim head size of the cache @param capacity most rows @param length positions reserved per
     *     row at first
     */
    KvCache(CacheBuffers pool, int layers, int heads, int headDim, int capacity, int length) {
        this.pool = pool;
        this.layers = layers;
        this.heads = heads;
        this.headDim = headDim;
        this.capacity = capacity;
        try {
            allocate(Math.max(1, length));
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    private void allocate(int len) {
        long floats = (long) capacity * heads * len * headDim;
        if (floats * 4 > Integer.MAX_VALUE) {
            throw new SonarLlmException("decoder cache of " + capacity + " rows x " + len + " positions exceeds 2 GB"
                    + " per layer; decode fewer sentences at once (decoderBatchSize) or fewer tokens");
        }
        closeViews();
        if (keys == null) {
            keys = new FloatBuffer[layers];
            values = new FloatBuffer[layers];
        }
        // layer by layer, so that one old buffer at a time is held beside the new ones; each slot always
        // holds the one buffer this cache owns there (close gives back exactly those, even after a failure)
        for (int l = 0; l < layers; l++) {
            keys[l] = grown(keys[l], (int) floats, len);
            values[l] = grown(values[l], (int) floats, len);
        }
        length = len;
        if (scratch != null) {
            pool.release(scratch);
            scratch = null;
        }
    }

    /** @return a buffer of {@code floats} for length {@code len} holding {@code old}'s rows; old given back */
    private FloatBuffer grown(FloatBuffer old, int floats, int len) {
        FloatBuffer b = pool.acquire(floats);
        if (old != null) {
            widen(old, b, length, len);
            pool.release(old);
        }
        return b;
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
     * {@code filled} positions. Rows that continue themselves ({@code parents[i] == i}) are not copied;
     * a row whose parent is not overwritten is copied straight from it, the others through a scratch
     * buffer filled before any row is written.
     *
     * @param parents for each new row, its old row @param filled positions written so far
     */
    void reorder(int[] parents, int filled) {
        int n = parents.length;
        // 0: stays, 1: copied from a parent nobody overwrites, 2: its parent is overwritten (via scratch)
        byte[] how = new byte[n];
        int viaScratch = 0;
        for (int i = 0; i < n; i++) {
            if (parents[i] != i) {
                int p = parents[i];
                how[i] = (byte) (p < n && parents[p] != p ? 2 : 1);
                viaScratch += how[i] == 2 ? 1 : 0;
            }
        }
        int stride = length * headDim; // between two heads of a row in the cache; seg in the packed scratch
        int rowFloats = heads * stride;
        int seg = filled * headDim;
        if (viaScratch > 0 && scratch == null) {
            // room for every row at the reserved length, so that it is taken once per length
            scratch = pool.acquire(Math.max(n, capacity) * rowFloats);
        }
        for (FloatBuffer[] side : new FloatBuffer[][] {keys, values}) {
            for (FloatBuffer b : side) {
                for (int i = 0, j = 0; i < n; i++) {
                    if (how[i] == 2) {
                        copyHeads(b, parents[i] * rowFloats, stride, scratch, j++ * heads * seg, seg, seg);
                    }
                }
                for (int i = 0; i < n; i++) {
                    if (how[i] == 1) {
                        copyHeads(b, parents[i] * rowFloats, stride, b, i * rowFloats, stride, seg);
                    }
                }
                for (int i = 0, j = 0; i < n; i++) {
                    if (how[i] == 2) {
                        copyHeads(scratch, j++ * heads * seg, seg, b, i * rowFloats, stride, seg);
                    }
                }
            }
        }
    }

    /**
     * Copies {@code seg} floats of each head of one row: head {@code h} from {@code from + h * fromStride} to
     * {@code to + h * toStride}.
     */
    private void copyHeads(FloatBuffer src, int from, int fromStride, FloatBuffer dst, int to, int toStride, int seg) {
        for (int h = 0; h < heads; h++) {
            dst.put(to + h * toStride, src, from + h * fromStride, seg);
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
        if (keys != null) {
            for (int l = 0; l < layers; l++) {
                if (keys[l] != null) {
                    pool.release(keys[l]);
                }
                if (values[l] != null) {
                    pool.release(values[l]);
                }
            }
            keys = null;
            values = null;
        }
        if (scratch != null) {
            pool.release(scratch);
            scratch = null;
        }
    }
}
