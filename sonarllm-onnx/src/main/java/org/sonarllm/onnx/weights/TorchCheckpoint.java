package org.sonarllm.onnx.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.sonarllm.ModelFormatException;

/**
 * Reads the tensors of a PyTorch checkpoint written by {@code torch.save} (the zip format of
 * PyTorch 1.6 and later: {@code <archive>/data.pkl} plus one {@code <archive>/data/<key>} entry per
 * storage) without Python and without executing anything in it. The pickle is read by a restricted
 * unpickler that only rebuilds dicts, lists, tuples, sets, numbers, strings, bytes and torch tensor
 * views; any other pickled global (numpy arrays, RNG states, optimizer classes, ...) stays an opaque
 * value that is never resolved or called. Storages are memory-mapped from the zip when stored
 * uncompressed (the normal case), so float32 tensors are handed out without copying.
 *
 * <p>One state dict is selected when the file is opened: the dict under {@code model_state_dict},
 * {@code state_dict}, {@code model} or {@code module} (the first present), or the top-level dict
 * itself when it maps names to tensors, or the one named in {@link #open(Path, String)}. Its F32,
 * F16 and BF16 tensors are readable through the same methods as {@link SafeTensors}; its other
 * entries are listed by {@link #skipped()}.
 *
 * <p>Broken or hostile files fail with {@link ModelFormatException} ("expected X, found Y", naming
 * the file): truncated or inconsistent zip structures, path tricks in entry names, unknown pickle
 * opcodes, views outside their storage, storages that are absent or of the wrong size, the legacy
 * non-zip format. Thread-safe for reading after {@link #open}; {@link #close()} is idempotent.
 *
 * <pre>{@code
 * try (TorchCheckpoint ckpt = TorchCheckpoint.open(Path.of("checkpoint.pt"))) {
 *     System.out.println(ckpt.stateDictKey() + " of " + ckpt.topLevelKeys());   // model_state_dict of [...]
 *     ckpt.requireShape("forward_proj.linear.weight", 1024, 1024);
 *     ByteBuffer w = ckpt.float32Bytes("forward_proj.linear.weight");  // mapped, little-endian
 *     float[] b = ckpt.floats("forward_proj.linear.bias");
 * }
 * }</pre>
 */
public final class TorchCheckpoint implements TensorSource {
    /** Keys searched, in order, for the state dict when none is named. */
    public static final List<String> STATE_DICT_KEYS = List.of("model_state_dict", "state_dict", "model", "module");
    /** Largest {@code data.pkl} accepted. */
    public static final long MAX_PICKLE_BYTES = 64L << 20;

    private static final byte[] LEGACY_MAGIC = {(byte) 0x80, 0x02, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c,
        0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19};
    private static final String RESAVE = "re-save it in Python with torch.save(torch.load(f, map_location=\"cpu\", "
            + "weights_only=True), \"new.pt\", _use_new_zipfile_serialization=True) or save the state dict as safetensors";

    private final Path path;
    private final FileChannel channel;
    private final ZipArchive zip;
    private final String prefix;
    private final String stateDictKey;
    private final List<String> topLevelKeys;
    private final Map<String, TorchTensor> tensors;
    private final Map<String, String> skipped;
    private volatile boolean closed;

    private TorchCheckpoint(Path path, FileChannel channel, ZipArchive zip, String prefix, String stateDictKey,
            List<String> topLevelKeys, Map<String, TorchTensor> tensors, Map<String, String> skipped) {
        this.path = path;
        this.channel = channel;
        this.zip = zip;
        this.prefix = prefix;
        this.stateDictKey = stateDictKey;
        this.topLevelKeys = topLevelKeys;
        this.tensors = tensors;
        this.skipped = skipped;
    }

    /**
     * Opens a checkpoint and selects its state dict automatically (see the class comment).
     *
     * @param file a {@code torch.save} file ({@code .pt}, {@code .pth}, {@code pytorch_model.bin})
     * @return the reader
     * @throws ModelFormatException if the file is missing, not a torch zip checkpoint, broken, or holds no state dict
     */
    public static TorchCheckpoint open(Path file) {
        return open(file, null);
    }

    /**
     * Opens a checkpoint and reads the state dict under a given top-level key.
     *
     * @param file a {@code torch.save} file
     * @param stateDictKey the top-level key of the state dict; {@code ""} for the top-level dict itself;
     *     null to choose automatically
     * @return the reader
     * @throws ModelFormatException if the file is missing, broken, or the key holds no dict
     */
    public static TorchCheckpoint open(Path file, String stateDictKey) {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file + ": file not found");
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot open: " + e.getMessage(), e);
        }
        try {
            sniff(file, ch);
            ZipArchive zip = ZipArchive.open(file.toString(), ch);
            return read(file, ch, zip, stateDictKey);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage() + " (truncated or corrupt)", e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static void sniff(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        ByteBuffer head = ZipArchive.read(ch, 0, (int) Math.min(size, 512));
        byte[] h = new byte[head.remaining()];
        head.get(0, h);
        if (h.length >= 4 && h[0] == 'P' && h[1] == 'K' && (h[2] == 3 || h[2] == 5)) {
            return;
        }
        if (h.length >= LEGACY_MAGIC.length && Arrays.equals(Arrays.copyOf(h, LEGACY_MAGIC.length), LEGACY_MAGIC)) {
            throw new ModelFormatException(file + ": expected a PyTorch zip checkpoint, found the legacy torch.save format"
                    + " (PyTorch < 1.6 or _use_new_zipfile_serialization=False), which this reader does not read; "
                    + RESAVE);
        }
        if (h.length >= 262 && new String(h, 257, 5, StandardCharsets.ISO_8859_1).equals("ustar")) {
            throw new ModelFormatException(file + ": expected a PyTorch zip checkpoint, found a tar archive (the"
                    + " torch.save format of PyTorch < 0.4); " + RESAVE);
        }
        if (h.length >= 2 && (h[0] & 0xff) == 0x80 && h[1] >= 2 && h[1] <= 5) {
            throw new ModelFormatException(file + ": expected a PyTorch zip checkpoint, found a bare pickle (not"
                    + " torch.save's zip format); " + RESAVE);
        }
        if (h.length >= 9 && h[8] == '{') {
            throw new ModelFormatException(file + ": expected a PyTorch zip checkpoint, found what looks like a"
                    + " safetensors file; read it with org.sonarllm.onnx.weights.SafeTensors");
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(h.length, 8); i++) {
            b.append(String.format("%02x ", h[i] & 0xff));
        }
        throw new ModelFormatException(file + ": expected a PyTorch zip checkpoint (starting with bytes 50 4b 03 04),"
                + " found " + (h.length == 0 ? "an empty file" : b.toString().trim()));
    }

    private static TorchCheckpoint read(Path file, FileChannel ch, ZipArchive zip, String wanted) throws IOException {
        String prefix = archivePrefix(file, zip);
        Map<String, ZipArchive.Entry> entries = zip.entries();
        ZipArchive.Entry order = entries.get(prefix + "/byteorder");
        if (order != null) {
            String bo = new String(zip.readAll(order, 64), StandardCharsets.US_ASCII).trim();
            if (!bo.equals("little")) {
                throw new ModelFormatException(file + ": expected byteorder 'little', found '" + bo + "'");
            }
        }
        StorageTable storages = new StorageTable(file.toString(), prefix, entries);
        String where = file + ": " + prefix + "/data.pkl";
        byte[] pickle = zip.readAll(entries.get(prefix + "/data.pkl"), MAX_PICKLE_BYTES);
        Object root = new Unpickler(pickle, where, storages::load).load();
        if (!(root instanceof Py.Dict top)) {
            throw new ModelFormatException(where + ": expected a dict at the top level, found " + Py.describe(root));
        }
        List<String> keys = new ArrayList<>();
        for (Object k : top.keys) {
            keys.add(k instanceof String s ? s : Py.describe(k));
        }
        String chosen = chooseStateDict(where, top, keys, wanted);
        Py.Dict sd = chosen.isEmpty() ? top : (Py.Dict) top.get(chosen);
        Map<String, TorchTensor> tensors = new TreeMap<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        for (int i = 0; i < sd.size(); i++) {
            Object k = sd.keys.get(i);
            Object v = sd.values.get(i);
            if (!(k instanceof String name)) {
                skipped.put(Py.describe(k), "not a string key");
            } else if (!(v instanceof TorchTensor t)) {
                skipped.put(name, "not a tensor: " + Py.describe(v));
            } else if (t.storage.dtype() == null || t.storage.dtype().readable() == null) {
                skipped.put(name, t + " (only float32, float16 and bfloat16 are read)");
            } else {
                tensors.put(name, t);
            }
        }
        return new TorchCheckpoint(file, ch, zip, prefix, chosen, Collections.unmodifiableList(keys),
                Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(skipped));
    }

    private static String archivePrefix(Path file, ZipArchive zip) {
        String prefix = null;
        for (String name : zip.entries().keySet()) {
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash + 1).equals("data.pkl")) {
                if (prefix != null) {
                    throw new ModelFormatException(file + ": expected one <archive>/data.pkl, found '" + prefix
                            + "/data.pkl' and '" + name + "'");
                }
                prefix = name.substring(0, slash);
            }
        }
        if (prefix == null) {
            throw new ModelFormatException(file + ": expected a torch.save zip archive holding <archive>/data.pkl, found "
                    + zip.entries().size() + " entries without one");
        }
        for (String name : zip.entries().keySet()) {
            if (!name.startsWith(prefix + "/")) {
                throw new ModelFormatException(file + ": expected every entry under '" + prefix + "/', found '" + name + "'");
            }
        }
        return prefix;
    }

    private static String chooseStateDict(String where, Py.Dict top, List<String> keys, String wanted) {
        if (wanted != null) {
            if (wanted.isEmpty() || top.get(wanted) instanceof Py.Dict) {
                return wanted;
            }
            throw new ModelFormatException(where + ": expected a dict under '" + wanted + "', found "
                    + Py.describe(top.get(wanted)) + " (top-level keys: " + keys + ")");
        }
        for (String k : STATE_DICT_KEYS) {
            if (top.get(k) instanceof Py.Dict) {
                return k;
            }
        }
        boolean anyTensor = false;
        for (int i = 0; i < top.size(); i++) {
            if (!(top.keys.get(i) instanceof String)) {
                anyTensor = false;
                break;
            }
            anyTensor |= top.values.get(i) instanceof TorchTensor;
        }
        if (anyTensor) {
            return "";
        }
        throw new ModelFormatException(where + ": expected a state dict under one of " + STATE_DICT_KEYS
                + " or a top-level dict of tensors, found top-level keys " + keys);
    }

    /** @return the file */
    @Override
    public Path path() {
        return path;
    }

    /** @return the top-level key the state dict was read from, {@code ""} for the top-level dict */
    public String stateDictKey() {
        return stateDictKey;
    }

    /** @return the keys of the top-level dict in file order (for messages: "found keys [...]") */
    public List<String> topLevelKeys() {
        return topLevelKeys;
    }

    /** @return entries of the state dict that are not readable tensors, with the reason, in file order */
    public Map<String, String> skipped() {
        return skipped;
    }

    /** @return names of the readable (F32, F16, BF16) tensors of the state dict, sorted */
    @Override
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    /** @param name a tensor name @return whether the state dict holds it as a readable tensor */
    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    private TorchTensor tensor(String name) {
        if (closed) {
            throw new IllegalStateException(path + " is closed");
        }
        TorchTensor t = tensors.get(name);
        if (t == null) {
            String why = skipped.get(name);
            throw new ModelFormatException(path + ": expected tensor '" + name + "', found "
                    + (why != null ? why : "no such tensor") + (stateDictKey.isEmpty() ? "" : " in '" + stateDictKey + "'"));
        }
        return t;
    }

    /** @param name tensor name @return its shape (a copy) */
    @Override
    public long[] shape(String name) {
        return tensor(name).shape.clone();
    }

    /** @param name tensor name @return its stored element type */
    @Override
    public SafeTensors.DType dtype(String name) {
        return tensor(name).storage.dtype().readable();
    }

    /** @param name tensor name @return its number of elements */
    @Override
    public long numel(String name) {
        return tensor(name).numel;
    }

    /**
     * Checks a tensor's shape.
     *
     * @param name tensor name @param expected the expected shape
     * @throws ModelFormatException "expected [..], found [..]" if it differs
     */
    @Override
    public void requireShape(String name, long... expected) {
        long[] s = tensor(name).shape;
        if (!Arrays.equals(s, expected)) {
            throw new ModelFormatException(path + ": tensor '" + name + "': expected shape "
                    + Arrays.toString(expected) + ", found " + Arrays.toString(s));
        }
    }

    /**
     * @param name tensor name
     * @return the tensor as row-major little-endian float32 bytes: the memory mapping itself for a
     *     contiguous F32 tensor of an uncompressed storage, a heap copy for F16/BF16 (widened),
     *     non-contiguous views and compressed storages
     * @throws ModelFormatException if the tensor exceeds 2 GiB as float32
     */
    @Override
    public ByteBuffer float32Bytes(String name) {
        TorchTensor t = tensor(name);
        int es = t.storage.dtype().bytes();
        if (t.numel > Integer.MAX_VALUE / 4 || (t.end - t.offset) > Integer.MAX_VALUE / es) {
            throw new ModelFormatException(path + ": tensor '" + name + "': expected at most 2 GiB per tensor, found "
                    + t.numel + " elements spanning " + (t.end - t.offset) + " storage elements");
        }
        ZipArchive.Entry e = zip.entries().get(prefix + "/data/" + t.storage.key());
        try {
            return t.toFloat32(zip.slice(e, t.offset * es, (t.end - t.offset) * es));
        } catch (IOException ex) {
            throw new ModelFormatException(path + ": cannot read tensor '" + name + "': " + ex.getMessage(), ex);
        }
    }

    /**
     * Streams a tensor: contiguous views of stored (uncompressed) storages are read piece by piece from
     * the file; strided views and deflated storages are copied once ({@link #float32Bytes}) and then
     * handed out in pieces.
     */
    @Override
    public void readFloat32(String name, Float32Sink sink) throws IOException {
        TorchTensor t = tensor(name);
        ZipArchive.Entry e = zip.entries().get(prefix + "/data/" + t.storage.key());
        SafeTensors.DType dt = t.storage.dtype().readable();
        if (e.stored() && t.contiguous()) {
            Float32Stream.stream(channel, e.dataOffset() + t.offset * dt.bytes(), t.numel, dt, sink,
                    path + ": tensor '" + name + "'");
        } else {
            Float32Stream.chunks(float32Bytes(name), sink);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            closeQuietly(channel);
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }
}
