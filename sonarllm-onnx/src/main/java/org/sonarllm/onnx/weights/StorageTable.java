package org.sonarllm.onnx.weights;

import java.util.HashMap;
import java.util.Map;
import org.sonarllm.ModelFormatException;

/**
 * Resolves the persistent ids of a torch pickle, {@code ('storage', type, key, location, numel)}, to
 * {@link TorchStorage}s, checking each against its zip entry {@code <archive>/data/<key>} (present,
 * exactly {@code numel * element size} bytes) and returning one instance per key so that tensors
 * sharing a storage share it here too. Not thread-safe (used while unpickling).
 */
final class StorageTable {
    private final String file;
    private final String prefix;
    private final Map<String, ZipArchive.Entry> entries;
    private final Map<String, TorchStorage> byKey = new HashMap<>();

    StorageTable(String file, String prefix, Map<String, ZipArchive.Entry> entries) {
        this.file = file;
        this.prefix = prefix;
        this.entries = entries;
    }

    /**
     * @param pid the persistent id popped by BINPERSID
     * @return the storage
     */
    Object load(Object pid) {
        if (!(pid instanceof Py.Tuple t) || t.items.size() != 5 || !"storage".equals(t.items.get(0))) {
            throw new ModelFormatException(file + ": expected a persistent id ('storage', type, key, location, numel),"
                    + " found " + Py.describe(pid));
        }
        Object type = t.items.get(1);
        if (!(t.items.get(2) instanceof String key) || !(t.items.get(3) instanceof String location)
                || !(t.items.get(4) instanceof Long numel) || numel < 0) {
            throw new ModelFormatException(file + ": expected a string key, a string location and a count >= 0 in"
                    + " persistent id, found " + Py.describe(t.items.get(2)) + ", " + Py.describe(t.items.get(3))
                    + ", " + Py.describe(t.items.get(4)));
        }
        TorchDType dtype = type instanceof TorchGlobals.StorageType st ? st.dtype() : null;
        if (dtype == null && !(type instanceof Py.Global)) {
            throw new ModelFormatException(file + ": storage '" + key + "': expected a storage type, found "
                    + Py.describe(type));
        }
        TorchStorage seen = byKey.get(key);
        if (seen != null) {
            if (seen.dtype() != dtype || seen.numel() != numel) {
                throw new ModelFormatException(file + ": storage '" + key + "': expected the same type and size at every"
                        + " reference, found " + seen.typeName() + "[" + seen.numel() + "] and " + type + "[" + numel + "]");
            }
            return seen;
        }
        ZipArchive.Entry e = key.indexOf('/') >= 0 ? null : entries.get(prefix + "/data/" + key);
        if (e == null) {
            throw new ModelFormatException(file + ": expected zip entry '" + prefix + "/data/" + key
                    + "' for a storage the pickle references, found none");
        }
        if (dtype != null) {
            long bytes;
            try {
                bytes = Math.multiplyExact(numel, dtype.bytes());
            } catch (ArithmeticException ex) {
                bytes = -1;
            }
            if (bytes != e.size()) {
                throw new ModelFormatException(file + ": storage '" + key + "': expected " + numel + " " + dtype
                        + " elements = " + (bytes < 0 ? "an overflowing number of" : String.valueOf(bytes))
                        + " bytes, found an entry of " + e.size() + " bytes");
            }
        }
        TorchStorage s = new TorchStorage(dtype, type.toString(), key, location, numel);
        byKey.put(key, s);
        return s;
    }
}
