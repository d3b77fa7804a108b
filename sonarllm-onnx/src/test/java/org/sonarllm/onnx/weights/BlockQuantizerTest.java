package org.sonarllm.onnx.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;

/** Block quantization: hand-made codes, exact grids, and the half-step error bound on random matrices. */
class BlockQuantizerTest {
    @Test
    void fourBitCodesAndZeroPointsPackLowNibbleFirst() {
        // one row, two blocks of 16: block 0 = 0, 0.5, ..., 7.5 (scale 0.5, zero point 0, codes 0..15);
        // block 1 = -1.5 .. 6 in steps of 0.5 (scale 0.5, zero point 3)
        float[] w = new float[32];
        for (int i = 0; i < 16; i++) {
            w[i] = 0.5f * i;
            w[16 + i] = 0.5f * i - 1.5f;
        }
        BlockQuantizer.Quantized q = BlockQuantizer.quantize(FloatBuffer.wrap(w), 1, 32, 4, 16);
        assertEquals(0x10, q.codes()[0] & 0xff);
        assertEquals(0x32, q.codes()[1] & 0xff);
        assertEquals(0xfe, q.codes()[7] & 0xff);
        assertEquals(0.5f, q.scales()[0]);
        assertEquals(0.5f, q.scales()[1]);
        assertEquals(1, q.zeroPoints().length);
        assertEquals(0x30, q.zeroPoints()[0] & 0xff);
        for (int c = 0; c < 32; c++) {
            assertEquals(w[c], q.dequantize(0, c), 0f, "exact on the grid, column " + c);
        }
    }

    @Test
    void eightBitHalfStepBoundAndShortLastBlock() {
        SplittableRandom r = new SplittableRandom(3);
        int rows = 7;
        int cols = 50; // blocks of 32: one full, one of 18
        for (int bits : new int[] {8, 4}) {
            float[] w = new float[rows * cols];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (r.nextGaussian() * 0.1 + (i % 5 == 0 ? 0.3 : 0));
            }
            BlockQuantizer.Quantized q = BlockQuantizer.quantize(FloatBuffer.wrap(w), rows, cols, bits, 32);
            assertEquals(2, q.blocks());
            for (int row = 0; row < rows; row++) {
                for (int c = 0; c < cols; c++) {
                    float step = q.scales()[row * 2 + c / 32];
                    double err = Math.abs(q.dequantize(row, c) - w[row * cols + c]);
                    assertTrue(err <= step / 2 + 1e-6, bits + " bits [" + row + "," + c + "]: error " + err + " step " + step);
                }
                // padding of the short block reads back as 0
                int blob = 32 * bits / 8;
                int z = bits == 8 ? q.zeroPoints()[row * 2 + 1] & 0xff : (q.zeroPoints()[row] & 0xff) >>> 4;
                int last = bits == 8 ? q.codes()[(row * 2 + 1) * blob + 31] & 0xff
                        : (q.codes()[(row * 2 + 1) * blob + 15] & 0xff) >>> 4;
                assertEquals(z, last);
            }
        }
    }

    @Test
    void zeroBlockAndBadArguments() {
        BlockQuantizer.Quantized q = BlockQuantizer.quantize(FloatBuffer.wrap(new float[16]), 1, 16, 8, 16);
        assertEquals(0f, q.dequantize(0, 5));
        assertThrows(InvalidInputException.class, () -> BlockQuantizer.quantize(FloatBuffer.wrap(new float[16]), 1, 16, 3, 16));
        assertThrows(InvalidInputException.class, () -> BlockQuantizer.quantize(FloatBuffer.wrap(new float[16]), 1, 16, 8, 24));
        float[] nan = new float[16];
        nan[3] = Float.NaN;
        assertThrows(InvalidInputException.class, () -> BlockQuantizer.quantize(FloatBuffer.wrap(nan), 1, 16, 8, 16));
    }
}
