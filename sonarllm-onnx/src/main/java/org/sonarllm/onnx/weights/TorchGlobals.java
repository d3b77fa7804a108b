package org.sonarllm.onnx.weights;

import java.util.List;
import org.sonarllm.ModelFormatException;

/**
 * The few pickled globals the restricted unpickler gives meaning to: containers, torch's tensor
 * rebuild functions and storage types. Every other global stays a {@link Py.Global} name; calling
 * or building it gives a {@link Py.Opaque} value. Nothing is ever imported, looked up or executed.
 */
final class TorchGlobals {
    /** Globals with a meaning here. */
    enum Known {
        ORDERED_DICT, SET, FROZENSET, REBUILD_TENSOR_V2, REBUILD_TENSOR, REBUILD_PARAMETER,
        REBUILD_PARAMETER_WITH_STATE, REBUILD_FROM_TYPE_V2
    }

    /** A storage class or dtype global ({@code torch.FloatStorage}, {@code torch.float32}). */
    record StorageType(TorchDType dtype, String name) {
        @Override
        public String toString() {
            return name;
        }
    }

    private TorchGlobals() {}

    /**
     * @param module the pickled module name
     * @param name the pickled attribute name
     * @return a {@link Known}, a {@link StorageType} or an inert {@link Py.Global}
     */
    static Object resolve(String module, String name) {
        switch (module + " " + name) {
            case "collections OrderedDict":
                return Known.ORDERED_DICT;
            case "builtins set":
            case "__builtin__ set":
                return Known.SET;
            case "builtins frozenset":
            case "__builtin__ frozenset":
                return Known.FROZENSET;
            case "torch._utils _rebuild_tensor_v2":
                return Known.REBUILD_TENSOR_V2;
            case "torch._utils _rebuild_tensor":
                return Known.REBUILD_TENSOR;
            case "torch._utils _rebuild_parameter":
                return Known.REBUILD_PARAMETER;
            case "torch._utils _rebuild_parameter_with_state":
                return Known.REBUILD_PARAMETER_WITH_STATE;
            case "torch._tensor _rebuild_from_type_v2":
            case "torch._utils _rebuild_from_type_v2":
                return Known.REBUILD_FROM_TYPE_V2;
            default:
                TorchDType t = TorchDType.forGlobal(module, name);
                return t != null ? new StorageType(t, module + "." + name) : new Py.Global(module, name);
        }
    }

    /**
     * What REDUCE (a call) gives.
     *
     * @param where file and position for messages
     * @param callable the popped callable
     * @param args the popped arguments
     * @return the value
     */
    static Object call(String where, Object callable, Object args) {
        if (!(callable instanceof Known k)) {
            return new Py.Opaque(Py.describe(callable) + "(...)");
        }
        List<Object> a = args instanceof Py.Tuple t ? t.items : null;
        if (a == null) {
            throw new ModelFormatException(where + ": expected a tuple of arguments for " + k + ", found "
                    + Py.describe(args));
        }
        switch (k) {
            case ORDERED_DICT:
                return a.isEmpty() ? new Py.Dict() : new Py.Opaque("OrderedDict(...)");
            case SET:
            case FROZENSET:
                if (a.size() == 1 && a.get(0) instanceof Py.PyList l) {
                    Py.PySet s = new Py.PySet();
                    s.items.addAll(l.items);
                    return s;
                }
                return a.isEmpty() ? new Py.PySet() : new Py.Opaque(k + "(...)");
            case REBUILD_TENSOR_V2:
            case REBUILD_TENSOR:
                return tensor(where, k, a);
            case REBUILD_PARAMETER:
            case REBUILD_PARAMETER_WITH_STATE:
                if (a.size() < 3 || a.size() > 4) {
                    throw new ModelFormatException(where + ": expected 3 or 4 arguments for " + k + ", found " + a.size());
                }
                return a.get(0);
            case REBUILD_FROM_TYPE_V2:
                // (func, new_type, args, state): the type and state are ignored; func must be a tensor rebuild
                if (a.size() != 4) {
                    throw new ModelFormatException(where + ": expected 4 arguments for " + k + ", found " + a.size());
                }
                if (a.get(0) == Known.REBUILD_TENSOR_V2 || a.get(0) == Known.REBUILD_TENSOR) {
                    return call(where, a.get(0), a.get(2));
                }
                return new Py.Opaque(k + "(" + Py.describe(a.get(0)) + ", ...)");
            default:
                throw new IllegalStateException(k.toString());
        }
    }

    /**
     * What NEWOBJ ({@code cls.__new__(cls, *args)}) gives.
     *
     * @param cls the class
     * @return a fresh dict for OrderedDict, an opaque value otherwise
     */
    static Object newObject(Object cls) {
        return cls == Known.ORDERED_DICT ? new Py.Dict() : new Py.Opaque(Py.describe(cls) + ".__new__(...)");
    }

    private static Object tensor(String where, Known k, List<Object> a) {
        // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        // _rebuild_tensor(storage, storage_offset, size, stride)
        boolean v2 = k == Known.REBUILD_TENSOR_V2;
        if (v2 ? a.size() < 6 || a.size() > 7 : a.size() != 4) {
            throw new ModelFormatException(where + ": expected " + (v2 ? "6 or 7" : "4") + " arguments for " + k
                    + ", found " + a.size());
        }
        if (!(a.get(0) instanceof TorchStorage s)) {
            throw new ModelFormatException(where + ": expected a storage as the first argument of " + k + ", found "
                    + Py.describe(a.get(0)));
        }
        return TorchTensor.of(where, s, integer(where, "storage offset", a.get(1)), longs(where, "size", a.get(2)),
                longs(where, "stride", a.get(3)));
    }

    private static long integer(String where, String what, Object o) {
        if (o instanceof Long l) {
            return l;
        }
        throw new ModelFormatException(where + ": expected an integer " + what + ", found " + Py.describe(o));
    }

    private static long[] longs(String where, String what, Object o) {
        if (!(o instanceof Py.Tuple t) || t.items.size() > TorchTensor.MAX_RANK) {
            throw new ModelFormatException(where + ": expected a tuple of at most " + TorchTensor.MAX_RANK
                    + " integers as " + what + ", found " + Py.describe(o));
        }
        long[] out = new long[t.items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = integer(where, what, t.items.get(i));
        }
        return out;
    }
}
