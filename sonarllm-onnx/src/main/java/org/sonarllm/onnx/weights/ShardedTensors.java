package org.sonarllm.onnx.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.sonarllm.ModelFormatException;

/**
 * Several tensor files read as one source (the shards of a Hugging Face checkpoint, or the weight files
 * of a folder): every name must live in exactly one part. Closes its parts. Thread-safe for reading.
 */
final class ShardedTensors implements TensorSource {
    private final Path where;
    private final List<TensorSource> parts;
    private final Map<String, TensorSource> byName;
    private volatile boolean closed;

    private ShardedTensors(Path where, List<TensorSource> parts, Map<String, TensorSource> byName) {
        this.where = where;
        this.parts = parts;
        this.byName = byName;
    }

    /**
     * @param where the folder or index file, for messages
     * @param parts the opened parts; closed here if this fails
     * @return the union
     * @throws ModelFormatException if a tensor name occurs in two parts
     */
    static ShardedTensors of(Path where, List<TensorSource> parts) {
        Map<String, TensorSource> byName = new TreeMap<>();
        for (TensorSource p : parts) {
            for (String n : p.names()) {
                TensorSource prev = byName.put(n, p);
                if (prev != null) {
                    parts.forEach(TensorSource::close);
                    throw new ModelFormatException(where + ": expected tensor '" + n + "' in one file, found it in "
                            + prev.path().getFileName() + " and " + p.path().getFileName());
                }
            }
        }
        return new ShardedTensors(where, List.copyOf(parts), byName);
    }

    /** @param name a tensor name @return the part holding it */
    TensorSource part(String name) {
        if (closed) {
            throw new IllegalStateException(where + " is closed");
        }
        TensorSource p = byName.get(name);
        if (p == null) {
            throw new ModelFormatException(where + ": expected tensor '" + name + "', found no such tensor");
        }
        return p;
    }

    @Override
    public Path path() {
        return where;
    }

    @Override
    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    @Override
    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    @Override
    public long[] shape(String name) {
        return part(name).shape(name);
    }

    @Override
    public SafeTensors.DType dtype(String name) {
        return part(name).dtype(name);
    }

    @Override
    public ByteBuffer float32Bytes(String name) {
        return part(name).float32Bytes(name);
    }

    @Override
    public void readFloat32(String name, Float32Sink sink) throws IOException {
        part(name).readFloat32(name, sink);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            parts.forEach(TensorSource::close);
        }
    }
}
