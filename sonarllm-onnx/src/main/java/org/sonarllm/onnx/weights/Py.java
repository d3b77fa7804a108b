package org.sonarllm.onnx.weights;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The values a restricted unpickler builds. Containers compare by identity and never recurse in
 * {@code toString}, {@code equals} or {@code hashCode}, so arbitrarily deep or cyclic structures
 * built by a hostile pickle cannot overflow the stack.
 */
final class Py {
    /** Python's None. */
    static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    private Py() {}

    /** An immutable tuple. */
    static final class Tuple {
        final List<Object> items;

        Tuple(List<Object> items) {
            this.items = List.copyOf(items);
        }

        @Override
        public String toString() {
            return describe(this);
        }
    }

    /** A list. */
    static final class PyList {
        final List<Object> items = new ArrayList<>();

        @Override
        public String toString() {
            return describe(this);
        }
    }

    /** A set or frozenset (items kept in insertion order, never hashed). */
    static final class PySet {
        final List<Object> items = new ArrayList<>();

        @Override
        public String toString() {
            return describe(this);
        }
    }

    /** bytes or bytearray. */
    record Bytes(byte[] data) {
        @Override
        public String toString() {
            return "bytes[" + data.length + "]";
        }
    }

    /**
     * A dict in insertion order. String keys are unique (a repeated key replaces the value in place,
     * as in Python); other keys are kept as they come, never hashed.
     */
    static final class Dict {
        final List<Object> keys = new ArrayList<>();
        final List<Object> values = new ArrayList<>();
        private final Map<String, Integer> index = new HashMap<>();

        void put(Object key, Object value) {
            if (key instanceof String s) {
                Integer at = index.get(s);
                if (at != null) {
                    values.set(at, value);
                    return;
                }
                index.put(s, keys.size());
            }
            keys.add(key);
            values.add(value);
        }

        Object get(String key) {
            Integer at = index.get(key);
            return at == null ? null : values.get(at);
        }

        int size() {
            return keys.size();
        }

        @Override
        public String toString() {
            return describe(this);
        }
    }

    /** A global name ({@code module.name}) that is never imported or called. */
    record Global(String module, String name) {
        @Override
        public String toString() {
            return module + "." + name;
        }
    }

    /** What calling or building an unknown global gave: never resolved, loaded or executed. */
    record Opaque(String what) {
        @Override
        public String toString() {
            return "opaque " + what;
        }
    }

    /**
     * @param o a value
     * @return a short, non-recursive description for messages
     */
    static String describe(Object o) {
        if (o == null) {
            return "nothing";
        }
        if (o instanceof String s) {
            return "'" + (s.length() > 60 ? s.substring(0, 60) + "..." : s) + "'";
        }
        if (o instanceof Tuple t) {
            return "tuple of " + t.items.size();
        }
        if (o instanceof PyList l) {
            return "list of " + l.items.size();
        }
        if (o instanceof PySet s) {
            return "set of " + s.items.size();
        }
        if (o instanceof Dict d) {
            return "dict of " + d.size();
        }
        if (o instanceof Long || o instanceof Double || o instanceof Boolean) {
            return o.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT) + " " + o;
        }
        if (o instanceof java.math.BigInteger b) {
            return "int of " + b.bitLength() + " bits";
        }
        String s = o.toString();
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }
}
