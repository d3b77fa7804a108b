package org.sonarllm.onnx.graph;

/**
 * One dimension of a graph input or output: fixed ({@link #of(long)}) or named and dynamic
 * ({@link #dyn(String)}).
 *
 * <pre>{@code
 * g.input("input_ids", ElemType.INT64, Dim.dyn("batch"), Dim.dyn("seq"));
 * g.output("sentence_embedding", ElemType.FLOAT, Dim.dyn("batch"), Dim.of(1024));
 * }</pre>
 *
 * @param value the fixed size, or -1 when dynamic
 * @param param the symbolic name when dynamic, else null
 */
record Dim(long value, String param) {
    /** @param v a fixed size (>= 0) @return the dimension */
    public static Dim of(long v) {
        if (v < 0) {
            throw new IllegalArgumentException("dimension must be >= 0, got " + v);
        }
        return new Dim(v, null);
    }

    /** @param name symbolic name such as "batch" @return a dynamic dimension */
    public static Dim dyn(String name) {
        return new Dim(-1, name);
    }

    /** @return whether the size is fixed */
    public boolean fixed() {
        return param == null;
    }

    @Override
    public String toString() {
        return fixed() ? Long.toString(value) : param;
    }
}
