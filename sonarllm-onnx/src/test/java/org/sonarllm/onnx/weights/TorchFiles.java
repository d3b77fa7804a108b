package org.sonarllm.onnx.weights;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** Test helpers that write torch-style pickles and zip archives byte by byte, valid or broken on purpose. */
final class TorchFiles {
    private TorchFiles() {}

    /** Emits pickle opcodes. */
    static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle op(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
            return this;
        }

        Pickle raw(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Pickle str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X').raw(le32(b.length)).raw(b);
            return this;
        }

        Pickle integer(long v) {
            if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                return op('J').raw(le32((int) v));
            }
            return op(0x8a, 8).raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        Pickle global(String module, String name) {
            return op('c').raw((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        }

        Pickle ints(long... v) {
            op('(');
            for (long x : v) {
                integer(x);
            }
            return op('t');
        }

        /** A {@code _rebuild_tensor_v2} call on a persistent storage. */
        Pickle tensor(String storageType, String key, long numel, long offset, long[] shape, long[] stride) {
            global("torch._utils", "_rebuild_tensor_v2").op('(');
            op('(').str("storage").global("torch", storageType).str(key).str("cpu").integer(numel).op('t', 'Q');
            integer(offset).ints(shape).ints(stride).op(0x89);
            global("collections", "OrderedDict").op(')', 'R');
            return op('t', 'R');
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** A tensor of a torch-style state dict. */
    record Spec(String storageType, String key, long numel, long offset, long[] shape, long[] stride) {
        static Spec contiguous(String key, long... shape) {
            long[] stride = new long[shape.length];
            long n = 1;
            for (int i = shape.length - 1; i >= 0; i--) {
                stride[i] = n;
                n *= shape[i];
            }
            return new Spec("FloatStorage", key, n, 0, shape, stride);
        }
    }

    /** @return a protocol-2 pickle of {name: tensor} wrapped in {"model_state_dict": ...} when wrap */
    static byte[] stateDictPickle(Map<String, Spec> tensors, boolean wrap) {
        Pickle p = new Pickle().op(0x80, 2).op('}');
        if (wrap) {
            p.str("model_state_dict").op('}');
        }
        p.op('(');
        tensors.forEach((name, s) -> p.str(name).tensor(s.storageType, s.key, s.numel, s.offset, s.shape, s.stride));
        p.op('u');
        if (wrap) {
            p.op('s');
        }
        return p.op('.').bytes();
    }

    /** @return float32 little-endian bytes of 0, 1, 2, ... n-1 scaled by k */
    static byte[] ramp(int n, float k) {
        ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(i * k);
        }
        return b.array();
    }

    /** @return a torch.save-like archive holding the pickle and storages (key -> bytes) */
    static Zip torchZip(byte[] pickle, Map<String, byte[]> storages) {
        Zip z = new Zip().add("archive/data.pkl", pickle);
        storages.forEach((k, v) -> z.add("archive/data/" + k, v));
        return z.add("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
    }

    /** @return a one-tensor archive: {"w": float32 [rows, cols]} with values i * 0.5 */
    static Zip simple(int rows, int cols) {
        Map<String, Spec> t = new LinkedHashMap<>();
        t.put("w", Spec.contiguous("0", rows, cols));
        return torchZip(stateDictPickle(t, false), Map.of("0", ramp(rows * cols, 0.5f)));
    }

    /** A zip writer with knobs for breaking it. */
    static final class Zip {
        static final class Entry {
            String name;
            String localName;
            byte[] data;
            boolean deflate;
            Long declaredSize;
            int flags;

            Entry(String name, byte[] data) {
                this.name = name;
                this.localName = name;
                this.data = data;
            }
        }

        final List<Entry> entries = new ArrayList<>();
        boolean zip64;

        Zip add(String name, byte[] data) {
            entries.add(new Entry(name, data));
            return this;
        }

        Entry entry(String name) {
            return entries.stream().filter(e -> e.name.equals(name)).findFirst().orElseThrow();
        }

        byte[] build() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream cd = new ByteArrayOutputStream();
            for (Entry e : entries) {
                byte[] payload = e.deflate ? deflate(e.data) : e.data;
                CRC32 crc = new CRC32();
                crc.update(e.data);
                long usize = e.declaredSize != null ? e.declaredSize : e.data.length;
                long offset = out.size();
                byte[] lname = e.localName.getBytes(StandardCharsets.UTF_8);
                byte[] lextra = zip64 ? extra64(usize, payload.length, -1) : new byte[0];
                ByteBuffer lh = buf(30);
                lh.putInt(0x04034b50).putShort((short) (zip64 ? 45 : 20)).putShort((short) e.flags)
                        .putShort((short) (e.deflate ? 8 : 0)).putShort((short) 0).putShort((short) 0x21)
                        .putInt((int) crc.getValue()).putInt(zip64 ? -1 : payload.length).putInt(zip64 ? -1 : (int) usize)
                        .putShort((short) lname.length).putShort((short) lextra.length);
                out.writeBytes(lh.array());
                out.writeBytes(lname);
                out.writeBytes(lextra);
                out.writeBytes(payload);
                byte[] name = e.name.getBytes(StandardCharsets.UTF_8);
                byte[] cextra = zip64 ? extra64(usize, payload.length, offset) : new byte[0];
                ByteBuffer ch = buf(46);
                ch.putInt(0x02014b50).putShort((short) 45).putShort((short) (zip64 ? 45 : 20)).putShort((short) e.flags)
                        .putShort((short) (e.deflate ? 8 : 0)).putShort((short) 0).putShort((short) 0x21)
                        .putInt((int) crc.getValue()).putInt(zip64 ? -1 : payload.length).putInt(zip64 ? -1 : (int) usize)
                        .putShort((short) name.length).putShort((short) cextra.length).putShort((short) 0)
                        .putShort((short) 0).putShort((short) 0).putInt(0).putInt(zip64 ? -1 : (int) offset);
                cd.writeBytes(ch.array());
                cd.writeBytes(name);
                cd.writeBytes(cextra);
            }
            long cdOffset = out.size();
            out.writeBytes(cd.toByteArray());
            if (zip64) {
                long z64 = out.size();
                ByteBuffer r = buf(56);
                r.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45).putInt(0).putInt(0)
                        .putLong(entries.size()).putLong(entries.size()).putLong(cd.size()).putLong(cdOffset);
                out.writeBytes(r.array());
                ByteBuffer loc = buf(20);
                loc.putInt(0x07064b50).putInt(0).putLong(z64).putInt(1);
                out.writeBytes(loc.array());
            }
            ByteBuffer eocd = buf(22);
            eocd.putInt(0x06054b50).putShort((short) 0).putShort((short) 0)
                    .putShort((short) (zip64 ? 0xffff : entries.size())).putShort((short) (zip64 ? 0xffff : entries.size()))
                    .putInt(zip64 ? -1 : cd.size()).putInt(zip64 ? -1 : (int) cdOffset).putShort((short) 0);
            out.writeBytes(eocd.array());
            return out.toByteArray();
        }

        private static byte[] extra64(long usize, long csize, long offset) {
            ByteBuffer b = buf(offset < 0 ? 20 : 28);
            b.putShort((short) 1).putShort((short) (offset < 0 ? 16 : 24)).putLong(usize).putLong(csize);
            if (offset >= 0) {
                b.putLong(offset);
            }
            return b.array();
        }

        private static byte[] deflate(byte[] data) {
            Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
            d.setInput(data);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[1 << 16];
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
            d.end();
            return out.toByteArray();
        }
    }

    static ByteBuffer buf(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    static byte[] le32(int v) {
        return buf(4).putInt(v).array();
    }
}
