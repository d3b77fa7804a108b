package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.OnnxTensor;
import org.junit.jupiter.api.Test;

/** Row reordering and growth of the in-place decoder cache, checked cell by cell. */
class KvCacheTest {
    private static float[] cell(int layer, int row, int head, int pos, int dim) {
        float[] v = new float[dim];
        for (int j = 0; j < dim; j++) {
            v[j] = layer * 10000 + row * 1000 + head * 100 + pos * 10 + j;
        }
        return v;
    }

    private static KvCache filled(int layers, int heads, int dim, int rows, int len, int filled) {
        KvCache c = new KvCache(new CacheBuffers(), layers, heads, dim, rows, len);
        for (int l = 0; l < layers; l++) {
            for (int r = 0; r < rows; r++) {
                for (int h = 0; h < heads; h++) {
                    for (int p = 0; p < filled; p++) {
                        c.putKey(l, r, h, p, cell(l, r, h, p, dim));
                    }
                }
            }
        }
        return c;
    }

    @Test
    void reorderCopiesParentsFilledPositions() {
        try (KvCache c = filled(2, 3, 4, 4, 6, 5)) {
            c.reorder(new int[] {2, 0, 0}, 5);
            int[] parents = {2, 0, 0};
            for (int l = 0; l < 2; l++) {
                for (int i = 0; i < 3; i++) {
                    for (int h = 0; h < 3; h++) {
                        for (int p = 0; p < 5; p++) {
                            assertArrayEquals(cell(l, parents[i], h, p, 4), c.key(l, i, h, p), "l" + l + " r" + i);
                        }
                    }
                }
            }
            // the row past the new ones is untouched
            assertArrayEquals(cell(1, 3, 2, 4, 4), c.key(1, 3, 2, 4));
        }
    }

    @Test
    void reorderMixesStraightCopiesAndCopiesThroughScratch() {
        // row 1 continues row 0 (kept) and row 2 row 5 (beyond the new rows): both copied straight; row 3
        // continues row 1 and row 4 row 3, both overwritten: through scratch; row 0 stays
        int[][] cases = {{0, 0, 5, 1, 3}, {1, 0, 3, 2}, {4, 4, 4, 4, 4, 4}, {0, 1, 2}};
        for (int[] parents : cases) {
            try (KvCache c = filled(2, 3, 4, 6, 8, 6)) {
                c.reorder(parents, 6);
                for (int l = 0; l < 2; l++) {
                    for (int i = 0; i < parents.length; i++) {
                        for (int h = 0; h < 3; h++) {
                            for (int p = 0; p < 6; p++) {
                                assertArrayEquals(cell(l, parents[i], h, p, 4), c.key(l, i, h, p),
                                        java.util.Arrays.toString(parents) + " l" + l + " r" + i + " h" + h + " p" + p);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void identityIsFreeAndGrowthKeepsRows() {
        try (KvCache c = filled(1, 2, 8, 3, 4, 4)) {
            c.reorder(new int[] {0, 1}, 4);
            c.ensureLength(5);
            assertEquals(8, c.length());
            for (int r = 0; r < 3; r++) {
                for (int h = 0; h < 2; h++) {
                    for (int p = 0; p < 4; p++) {
                        assertArrayEquals(cell(0, r, h, p, 8), c.key(0, r, h, p));
                    }
                }
            }
            c.ensureLength(8);
            assertEquals(8, c.length());
        }
    }

    @Test
    void viewsHaveTheStepsRows() throws Exception {
        try (KvCache c = filled(1, 2, 8, 3, 4, 1)) {
            OnnxTensor k = c.keys(0, 2);
            assertArrayEquals(new long[] {2, 2, 4, 8}, k.getInfo().getShape());
            float[] all = new float[2 * 2 * 4 * 8];
            k.getFloatBuffer().get(all);
            assertEquals(cell(0, 1, 1, 0, 8)[3], all[((1 * 2 + 1) * 4) * 8 + 3]);
            assertArrayEquals(new long[] {3, 2, 4, 8}, c.values(0, 3).getInfo().getShape());
        }
    }
}
