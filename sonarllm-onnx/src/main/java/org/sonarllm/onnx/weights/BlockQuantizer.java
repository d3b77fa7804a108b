package org.sonarllm.onnx.weights;

import java.nio.FloatBuffer;
import org.sonarllm.InvalidInputException;

/**
 * Weight-only block quantization of a linear layer's {@code [out, in]} float32 matrix in the layout of ONNX
 * Runtime's {@code com.microsoft.MatMulNBits}: each row is cut into blocks of {@code block} consecutive
 * inputs; a block stores {@code bits}-bit unsigned codes {@code q}, one float scale and one zero point
 * {@code z}, and reads back as {@code (q - z) * scale}. The block's minimum and maximum (with 0 inside the
 * range) map to the code range, so a block's worst error is half a step, {@code (max - min) / (2^bits - 1)
 * / 2}. 4-bit codes are packed two per byte, the even element in the low nibble; 4-bit zero points the
 * same, per row. Stateless.
 *
 * <pre>{@code
 * BlockQuantizer.Quantized q = BlockQuantizer.quantize(weights, out, in, 8, 32);
 * float w = q.dequantize(row, col);
 * }</pre>
 */
public final class BlockQuantizer {
    private BlockQuantizer() {}

    /**
     * A quantized matrix.
     *
     * @param rows {@code N} (outputs) @param cols {@code K} (inputs) @param bits 4 or 8 @param block block size
     * @param codes {@code [N, blocks, block * bits / 8]} @param scales {@code [N, blocks]}
     * @param zeroPoints {@code [N, blocks]} (8 bits) or {@code [N, ceil(blocks / 2)]} packed (4 bits)
     */
    public record Quantized(int rows, int cols, int bits, int block, byte[] codes, float[] scales, byte[] zeroPoints) {
        /** @return blocks per row */
        public int blocks() {
            return (cols + block - 1) / block;
        }

        /** @param r row @param c column @return the value the kernel reads back */
        public float dequantize(int r, int c) {
            int b = c / block;
            int j = c % block;
            int blob = block * bits / 8;
            int q;
            int z;
            if (bits == 8) {
                q = codes[(r * blocks() + b) * blob + j] & 0xff;
                z = zeroPoints[r * blocks() + b] & 0xff;
            } else {
                int byteQ = codes[(r * blocks() + b) * blob + j / 2] & 0xff;
                q = (j % 2 == 0) ? byteQ & 0x0f : byteQ >>> 4;
                int zRow = (blocks() + 1) / 2;
                int byteZ = zeroPoints[r * zRow + b / 2] & 0xff;
                z = (b % 2 == 0) ? byteZ & 0x0f : byteZ >>> 4;
            }
            return (q - z) * scales[r * blocks() + b];
        }
    }

    /**
     * @param w row-major {@code [rows, cols]} float32 (read from its position, not consumed)
     * @param rows outputs @param cols inputs @param bits 4 or 8 @param block a power of two >= 16
     * @return the quantized matrix
     * @throws InvalidInputException for other bit widths or block sizes, or non-finite weights
     */
    public static Quantized quantize(FloatBuffer w, int rows, int cols, int bits, int block) {
        if (bits != 4 && bits != 8) {
            throw new InvalidInputException("expected 4 or 8 bits, found " + bits);
        }
        if (block < 16 || Integer.bitCount(block) != 1) {
            throw new InvalidInputException("expected a block size that is a power of two >= 16, found " + block);
        }
        int blocks = (cols + block - 1) / block;
        int blob = block * bits / 8;
        int qmax = (1 << bits) - 1;
        byte[] codes = new byte[Math.multiplyExact(Math.multiplyExact(rows, blocks), blob)];
        float[] scales = new float[rows * blocks];
        int zRow = bits == 8 ? blocks : (blocks + 1) / 2;
        byte[] zps = new byte[rows * zRow];
        int base = w.position();
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < blocks; b++) {
                int from = b * block;
                int to = Math.min(cols, from + block);
                float lo = 0;
                float hi = 0;
                for (int c = from; c < to; c++) {
                    float v = w.get(base + r * cols + c);
                    if (!Float.isFinite(v)) {
                        throw new InvalidInputException("expected finite weights, found " + v + " at [" + r + ", " + c + "]");
                    }
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
                float scale = (hi - lo) / qmax;
                int z = scale == 0 ? 0 : Math.max(0, Math.min(qmax, Math.round(-lo / scale)));
                scales[r * blocks + b] = scale;
                if (bits == 8) {
                    zps[r * zRow + b] = (byte) z;
                } else {
                    zps[r * zRow + b / 2] |= (byte) (b % 2 == 0 ? z : z << 4);
                }
                int out = (r * blocks + b) * blob;
                for (int c = from; c < to; c++) {
                    int q = scale == 0 ? z : Math.max(0, Math.min(qmax, Math.round(w.get(base + r * cols + c) / scale) + z));
                    int j = c - from;
                    if (bits == 8) {
                        codes[out + j] = (byte) q;
                    } else {
                        codes[out + j / 2] |= (byte) (j % 2 == 0 ? q : q << 4);
                    }
                }
                // a short last block pads with the zero point, which reads back as 0
                for (int j = to - from; j < block; j++) {
                    if (bits == 8) {
                        codes[out + j] = (byte) z;
                    } else {
                        codes[out + j / 2] |= (byte) (j % 2 == 0 ? z : z << 4);
                    }
                }
            }
        }
        return new Quantized(rows, cols, bits, block, codes, scales, zps);
    }
}
