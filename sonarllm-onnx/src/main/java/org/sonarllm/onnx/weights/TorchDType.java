package org.sonarllm.onnx.weights;


/**
 * Element types of torch storages, named both as storage classes ({@code torch.FloatStorage}) and
 * as dtypes ({@code torch.float32}). Only F32, F16 and BF16 are read as tensors; the others are
 * recognised so that their sizes can be checked and they can be reported by name.
 */
enum TorchDType {
    FLOAT32("Float", "float32", 4, SafeTensors.DType.F32),
    FLOAT16("Half", "float16", 2, SafeTensors.DType.F16),
    BFLOAT16("BFloat16", "bfloat16", 2, SafeTensors.DType.BF16),
    FLOAT64("Double", "float64", 8, null),
    INT64("Long", "int64", 8, null),
    INT32("Int", "int32", 4, null),
    INT16("Short", "int16", 2, null),
    INT8("Char", "int8", 1, null),
    UINT8("Byte", "uint8", 1, null),
    BOOL("Bool", "bool", 1, null),
    COMPLEX64("ComplexFloat", "complex64", 8, null),
    COMPLEX128("ComplexDouble", "complex128", 16, null);

    private final String storagePrefix;
    private final String dtypeName;
    private final int bytes;
    private final SafeTensors.DType readable;

    TorchDType(String storagePrefix, String dtypeName, int bytes, SafeTensors.DType readable) {
        this.storagePrefix = storagePrefix;
        this.dtypeName = dtypeName;
        this.bytes = bytes;
        this.readable = readable;
    }

    /** @return bytes per element */
    int bytes() {
        return bytes;
    }

    /** @return the float type this reader converts it as, or null when it is not read */
    SafeTensors.DType readable() {
        return readable;
    }

    /** @return the dtype name, such as "int64" */
    @Override
    public String toString() {
        return dtypeName;
    }

    /**
     * @param module a pickled global's module
     * @param name its name
     * @return the element type a storage class or dtype global names, or null if it names none
     */
    static TorchDType forGlobal(String module, String name) {
        if (!module.equals("torch") && !module.equals("torch.cuda")) {
            return null;
        }
        if (name.equals("UntypedStorage")) {
            return UINT8;
        }
        for (TorchDType t : values()) {
            if (name.equals(t.storagePrefix + "Storage") || name.equals(t.dtypeName)) {
                return t;
            }
        }
        return null;
    }
}
