package org.sonarllm.onnx.graph;

/**
 * Element types the builder writes, with their ONNX {@code TensorProto.DataType} codes.
 *
 * <pre>{@code
 * g.input("attention_mask", ElemType.INT64, Dim.dyn("batch"), Dim.dyn("seq"));
 * }</pre>
 */
enum ElemType {
    /** 32-bit float. */
    FLOAT(1, 4),
    /** IEEE half-precision float (weights stored as float16, cast to float when the session loads). */
    FLOAT16(10, 2),
    /** 8-bit unsigned integer (quantized weights). */
    UINT8(2, 1),
    /** 32-bit signed integer. */
    INT32(6, 4),
    /** 64-bit signed integer. */
    INT64(7, 8),
    /** boolean (one byte). */
    BOOL(9, 1);

    private final int code;
    private final int bytes;

    ElemType(int code, int bytes) {
        this.code = code;
        this.bytes = bytes;
    }

    /** @return the ONNX data type code */
    public int code() {
        return code;
    }

    /** @return bytes per element */
    public int bytes() {
        return bytes;
    }

    /** @param code an ONNX data type code @return the type, or null if not one of these */
    public static ElemType ofCode(int code) {
        for (ElemType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
