package org.sonarllm.onnx.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.sonarllm.ModelFormatException;

/**
 * A tensor as {@code torch._utils._rebuild_tensor_v2} describes it: a view of a storage with an
 * element offset, a shape and strides. The layout is validated when it is built (no overflow, every
 * addressed element inside the storage); data is only touched by {@link #toFloat32}.
 */
final class TorchTensor {
    /** Highest rank accepted. */
    static final int MAX_RANK = 64;

    final TorchStorage storage;
    final long offset;
    final long[] shape;
    final long[] stride;
    final long numel;
    /** Index one past the last storage element the view addresses (offset when empty). */
    final long end;

    private TorchTensor(TorchStorage storage, long offset, long[] shape, long[] stride, long numel, long end) {
        this.storage = storage;
        this.offset = offset;
        this.shape = shape;
        this.stride = stride;
        this.numel = numel;
        this.end = end;
    }

    /**
     * @param where file and position for messages
     * @return a validated view
     * @throws ModelFormatException if sizes overflow or the view reaches past the storage
     */
    static TorchTensor of(String where, TorchStorage storage, long offset, long[] shape, long[] stride) {
        if (shape.length != stride.length || shape.length > MAX_RANK) {
            throw new ModelFormatException(where + ": expected a shape and strides of equal rank <= " + MAX_RANK
                    + ", found " + shape.length + " and " + stride.length);
        }
        if (offset < 0) {
            throw new ModelFormatException(where + ": expected a storage offset >= 0, found " + offset);
        }
        long numel = 1;
        long last = offset;
        try {
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 0 || stride[i] < 0) {
                    throw new ModelFormatException(where + ": expected sizes and strides >= 0, found size "
                            + Arrays.toString(shape) + " stride " + Arrays.toString(stride));
                }
                numel = Math.multiplyExact(numel, shape[i]);
                if (shape[i] > 0) {
                    last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
                }
            }
            if (numel > 0) {
                Math.multiplyExact(Math.addExact(last, 1), storage.dtype() == null ? 1 : storage.dtype().bytes());
            }
        } catch (ArithmeticException e) {
            throw new ModelFormatException(where + ": size " + Arrays.toString(shape) + " with stride "
                    + Arrays.toString(stride) + " and offset " + offset + " overflows");
        }
        long end = numel == 0 ? offset : last + 1;
        if (numel > 0 && end > storage.numel()) {
            throw new ModelFormatException(where + ": expected a view within storage '" + storage.key() + "' of "
                    + storage.numel() + " elements, found size " + Arrays.toString(shape) + " stride "
                    + Arrays.toString(stride) + " offset " + offset + " reaching element " + last);
        }
        return new TorchTensor(storage, offset, shape, stride, numel, end);
    }

    /** @return e.g. "int64 tensor [2, 3]" */
    @Override
    public String toString() {
        return (storage.dtype() == null ? storage.typeName() : storage.dtype().toString()) + " tensor "
                + Arrays.toString(shape);
    }

    /** @return whether the elements are consecutive in the storage in row-major order */
    boolean contiguous() {
        long expect = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expect) {
                return false;
            }
            expect *= shape[i];
        }
        return true;
    }

    /**
     * Converts the storage bytes this view spans to row-major little-endian float32: the buffer
     * itself for a contiguous F32 view, a new heap buffer otherwise.
     *
     * @param span the storage bytes from element {@link #offset} to {@link #end} (exclusive)
     * @return the tensor's values
     */
    ByteBuffer toFloat32(ByteBuffer span) {
        SafeTensors.DType dt = storage.dtype().readable();
        if (dt == SafeTensors.DType.F32 && contiguous()) {
            return span;
        }
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(numel * 4)).order(ByteOrder.LITTLE_ENDIAN);
        if (numel == 0) {
            return out;
        }
        int rank = shape.length;
        long[] idx = new long[rank];
        long src = 0;
        for (long n = 0; n < numel; n++) {
            out.putFloat(read(span, dt, (int) src));
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    src += stride[d];
                    break;
                }
                src -= (shape[d] - 1) * stride[d];
                idx[d] = 0;
            }
        }
        return out.flip();
    }

    private static float read(ByteBuffer b, SafeTensors.DType dt, int element) {
        switch (dt) {
            case F32:
                return b.getFloat(element * 4);
            case F16:
                return SafeTensors.halfToFloat(b.getShort(element * 2));
            default:
                return Float.intBitsToFloat((b.getShort(element * 2) & 0xffff) << 16);
        }
    }
}
