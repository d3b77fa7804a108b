package org.sonarllm.onnx.graph;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import org.sonarllm.onnx.proto.OnnxProto.AttributeProto.AttributeType;
import org.sonarllm.onnx.proto.OnnxProto.AttributeProto;

/**
 * A node attribute for {@link OnnxGraphBuilder#node}. Immutable.
 *
 * <pre>{@code
 * g.node("Softmax", List.of(scores), Attr.i("axis", -1));
 * g.node("Transpose", List.of(x), Attr.ints("perm", 0, 2, 1, 3));
 * }</pre>
 */
final class Attr {
    private final AttributeProto proto;

    private Attr(AttributeProto proto) {
        this.proto = proto;
    }

    /** @param name attribute name @param v value @return an INT attribute */
    public static Attr i(String name, long v) {
        return new Attr(AttributeProto.newBuilder().setName(name).setType(AttributeType.INT).setI(v).build());
    }

    /** @param name attribute name @param v value @return a FLOAT attribute */
    public static Attr f(String name, float v) {
        return new Attr(AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOAT).setF(v).build());
    }

    /** @param name attribute name @param v values @return an INTS attribute */
    public static Attr ints(String name, long... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
        for (long x : v) {
            b.addInts(x);
        }
        return new Attr(b.build());
    }

    /** @param name attribute name @param v values @return a FLOATS attribute */
    public static Attr floats(String name, float... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOATS);
        for (float x : v) {
            b.addFloats(x);
        }
        return new Attr(b.build());
    }

    /** @param name attribute name @param v value @return a STRING attribute */
    public static Attr s(String name, String v) {
        return new Attr(AttributeProto.newBuilder().setName(name).setType(AttributeType.STRING)
                .setS(ByteString.copyFrom(v, StandardCharsets.UTF_8)).build());
    }

    /** @param name attribute name @param tensor a small tensor (e.g. a Constant's value) @return a TENSOR attribute */
    static Attr t(String name, org.sonarllm.onnx.proto.OnnxProto.TensorProto tensor) {
        return new Attr(AttributeProto.newBuilder().setName(name).setType(AttributeType.TENSOR).setT(tensor).build());
    }

    AttributeProto proto() {
        return proto;
    }
}
