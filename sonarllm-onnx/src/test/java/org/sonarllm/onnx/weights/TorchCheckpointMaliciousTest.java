package org.sonarllm.onnx.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sonarllm.onnx.weights.TorchFiles.Pickle;
import static org.sonarllm.onnx.weights.TorchFiles.Spec;
import static org.sonarllm.onnx.weights.TorchFiles.Zip;
import static org.sonarllm.onnx.weights.TorchFiles.ramp;
import static org.sonarllm.onnx.weights.TorchFiles.simple;
import static org.sonarllm.onnx.weights.TorchFiles.stateDictPickle;
import static org.sonarllm.onnx.weights.TorchFiles.torchZip;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.ModelFormatException;

/** Hand-made valid and hostile files, one per class of problem the reader must turn into a ModelFormatException. */
class TorchCheckpointMaliciousTest {
    @TempDir
    Path tmp;

    Path write(byte[] bytes) throws IOException {
        Path p = Files.createTempFile(tmp, "t", ".pt");
        Files.write(p, bytes);
        return p;
    }

    /** Opens and reads every tensor; asserts a ModelFormatException whose message has the fragment. */
    void rejects(byte[] bytes, String fragment) throws IOException {
        Path p = write(bytes);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                    try (TorchCheckpoint c = TorchCheckpoint.open(p)) {
                        for (String n : c.names()) {
                            c.float32Bytes(n);
                        }
                    }
                }));
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
    }

    static byte[] pickleZip(byte[] pickle) {
        return torchZip(pickle, Map.of()).build();
    }

    @Test
    void handMadeFileReadsBackExactly() throws IOException {
        try (TorchCheckpoint c = TorchCheckpoint.open(write(simple(3, 4).build()))) {
            assertEquals("", c.stateDictKey());
            assertArrayEquals(new long[] {3, 4}, c.shape("w"));
            assertArrayEquals(new float[] {0, 0.5f, 1, 1.5f, 2, 2.5f, 3, 3.5f, 4, 4.5f, 5, 5.5f}, c.floats("w"));
        }
    }

    @Test
    void zip64ArchivesAreRead() throws IOException {
        Zip z = simple(2, 3);
        z.zip64 = true;
        try (TorchCheckpoint c = TorchCheckpoint.open(write(z.build()))) {
            assertArrayEquals(new float[] {0, 0.5f, 1, 1.5f, 2, 2.5f}, c.floats("w"));
        }
        byte[] broken = z.build();
        // the ZIP64 locator points past itself
        int loc = broken.length - 22 - 20;
        ByteBuffer.wrap(broken).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(loc + 8, broken.length);
        rejects(broken, "ZIP64 locator");
    }

    @Test
    void deflatedEntriesAreInflatedWithinTheirDeclaredSize() throws IOException {
        Zip z = simple(4, 4);
        z.entry("archive/data/0").deflate = true;
        z.entry("archive/data.pkl").deflate = true;
        try (TorchCheckpoint c = TorchCheckpoint.open(write(z.build()))) {
            float[] w = c.floats("w");
            assertEquals(7.5f, w[15]);
            assertTrue(!(c.float32Bytes("w") instanceof MappedByteBuffer));
        }
        // zip bomb: a storage declared far larger than deflate can produce from its bytes
        Map<String, Spec> big = new LinkedHashMap<>();
        big.put("w", Spec.contiguous("0", 1 << 20, 64));
        Zip bomb = torchZip(stateDictPickle(big, false), Map.of("0", new byte[4096]));
        bomb.entry("archive/data/0").deflate = true;
        bomb.entry("archive/data/0").declaredSize = (1L << 20) * 64 * 4;
        rejects(bomb.build(), "zip bomb");
        // inflates to more than declared
        Zip more = simple(4, 4);
        more.entry("archive/data/0").deflate = true;
        more.entry("archive/data/0").data = new byte[128];
        more.entry("archive/data/0").declaredSize = 64L;
        rejects(more.build(), "found more");
        // pickle declared beyond the limit
        Zip hugePickle = simple(2, 2);
        hugePickle.entry("archive/data.pkl").deflate = true;
        hugePickle.entry("archive/data.pkl").declaredSize = TorchCheckpoint.MAX_PICKLE_BYTES + 1;
        rejects(hugePickle.build(), "expected at most " + TorchCheckpoint.MAX_PICKLE_BYTES);
    }

    @Test
    void zipStructureProblems() throws IOException {
        Zip dup = simple(2, 2).add("archive/data/0", new byte[16]);
        rejects(dup.build(), "found 'archive/data/0' twice");
        for (String bad : new String[] {"archive/../../etc/passwd", "/archive/x", "archive\\data\\1", "C:/archive/x",
            "archive//x", "archive/./x"}) {
            rejects(simple(2, 2).add(bad, new byte[1]).build(), "path tricks");
        }
        Zip otherDir = simple(2, 2).add("other/data/1", new byte[4]);
        rejects(otherDir.build(), "expected every entry under 'archive/'");
        Zip renamed = simple(2, 2);
        renamed.entry("archive/data/0").localName = "archive/data/9";
        rejects(renamed.build(), "local header names it");
        Zip encrypted = simple(2, 2);
        encrypted.entry("archive/data/0").flags = 1;
        rejects(encrypted.build(), "expected no encryption");
        byte[] ok = simple(2, 2).build();
        rejects(Arrays.copyOf(ok, ok.length / 2), "end-of-central-directory");
        rejects(Arrays.copyOf(ok, ok.length - 1), "end-of-central-directory");
        byte[] cdPastEnd = ok.clone();
        ByteBuffer.wrap(cdPastEnd).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(cdPastEnd.length - 6, 1 << 30);
        rejects(cdPastEnd, "central directory");
        // the first entry claims more bytes than lie before the next local header: overlapping entries
        byte[] overlap = simple(2, 2).build();
        ByteBuffer ob = ByteBuffer.wrap(overlap).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int cd = ob.getInt(overlap.length - 6);
        ob.putInt(cd + 20, ob.getInt(cd + 20) + 8).putInt(cd + 24, ob.getInt(cd + 24) + 8);
        rejects(overlap, "overlap: expected disjoint byte ranges");
        rejects(simple(2, 2).add("other/data.pkl", new byte[0]).build(), "expected one <archive>/data.pkl");
        rejects(new Zip().add("archive/version", new byte[] {'3'}).build(), "without one");
        Zip bigEndian = simple(2, 2).add("archive/byteorder", "big".getBytes(StandardCharsets.US_ASCII));
        rejects(bigEndian.build(), "expected byteorder 'little', found 'big'");
    }

    @Test
    void otherFileKindsGetAClearMessage() throws IOException {
        rejects(new byte[0], "found an empty file");
        rejects("hello world".getBytes(StandardCharsets.US_ASCII), "found 68 65 6c 6c 6f 20 77 6f");
        rejects(new Pickle().op(0x80, 2).op('}', '.').bytes(), "found a bare pickle");
        byte[] tar = new byte[1024];
        System.arraycopy("ustar".getBytes(StandardCharsets.US_ASCII), 0, tar, 257, 5);
        rejects(tar, "tar archive");
        byte[] st = new byte[64];
        st[0] = 10;
        st[8] = '{';
        rejects(st, "safetensors");
        assertThrows(ModelFormatException.class, () -> TorchCheckpoint.open(tmp.resolve("missing.pt")));
    }

    @Test
    void unknownOpcodesAndTruncatedPickles() throws IOException {
        for (int op : new int[] {'I', 'L', 'F', 'S', 'V', 'P', 'p', 'g', 'i', 'o', 0x82, 0x83, 0x84, 0x97, 0x98, 0xff, 0}) {
            rejects(pickleZip(new Pickle().op(0x80, 2).op(op).bytes()), "expected a pickle opcode");
        }
        rejects(pickleZip(new Pickle().op(0x80, 9).bytes()), "expected pickle protocol 2 to 5, found 9");
        rejects(pickleZip(new Pickle().op(0x80, 2).op('}').bytes()), "truncated");
        rejects(pickleZip(new Pickle().op(0x80, 2).op('}', '.', '.').bytes()), "after STOP");
        rejects(pickleZip(new Pickle().op(0x80, 2).op('}', '}', '.').bytes()), "expected one value");
        rejects(pickleZip(new Pickle().op(0x80, 2).op('a').bytes()), "expected a value on the pickle stack");
        rejects(pickleZip(new Pickle().op(0x80, 2).op('(', 'a').bytes()), "found a MARK");
        rejects(pickleZip(new Pickle().op(0x80, 2).op('t').bytes()), "expected a MARK");
        rejects(pickleZip(new Pickle().op(0x80, 2).op('h', 7).bytes()), "expected memo entry 7");
        rejects(pickleZip(new Pickle().op(0x80, 2).op('N', 'N', 'a').bytes()), "expected a list to append to");
        rejects(pickleZip(new Pickle().op(0x80, 2).op(']', '.').bytes()), "expected a dict at the top level, found list");
        rejects(pickleZip(new Pickle().op(0x80, 2).op('c').raw(new byte[5000]).bytes()), "GLOBAL name");
    }

    @Test
    void absurdLengthsAreRejectedBeforeAllocating() throws IOException {
        rejects(pickleZip(new Pickle().op(0x80, 2).op('X', 0xff, 0xff, 0xff, 0xff).bytes()), "more bytes");
        rejects(pickleZip(new Pickle().op(0x80, 2).op(0x8d).raw(new byte[] {-1, -1, -1, -1, -1, -1, -1, 0x7f}).bytes()),
                "more bytes");
        rejects(pickleZip(new Pickle().op(0x80, 2).op(0x8e).raw(new byte[] {-1, -1, -1, -1, -1, -1, -1, -1}).bytes()),
                "below 2^63");
        rejects(pickleZip(new Pickle().op(0x80, 2).op(0x8b, 0xff, 0xff, 0xff, 0x7f).bytes()), "integer of 0 to 1024 bytes");
        rejects(pickleZip(new Pickle().op(0x80, 2).op(0x95).raw(new byte[] {0, 0, 0, 0, 0, 0, 0, 0x7f}).bytes()),
                "frame");
    }

    @Test
    void deepNestingNeitherOverflowsTheStackNorTheHeap() throws IOException {
        // a million nested one-element tuples: built iteratively, described without recursion
        Pickle deep = new Pickle().op(0x80, 2).op('}').str("x").op('N');
        for (int i = 0; i < 1_000_000; i++) {
            deep.op(0x85);
        }
        deep.op('s', '.');
        try (TorchCheckpoint c = TorchCheckpoint.open(write(pickleZip(deep.bytes())), "")) {
            assertEquals(Map.of("x", "not a tensor: tuple of 1"), c.skipped());
        }
        // a list that contains itself
        Pickle cycle = new Pickle().op(0x80, 2).op('}').str("x").op(']', 'q', 0, 'h', 0, 'a', 's', '.');
        try (TorchCheckpoint c = TorchCheckpoint.open(write(pickleZip(cycle.bytes())), "")) {
            assertEquals("not a tensor: list of 1", c.skipped().get("x"));
        }
        // more marks than the stack may hold
        Pickle marks = new Pickle().op(0x80, 2);
        for (int i = 0; i <= Unpickler.MAX_STACK; i++) {
            marks.op('(');
        }
        rejects(pickleZip(marks.bytes()), "values on the pickle stack");
    }

    @Test
    void foreignGlobalsStayOpaqueAndAreNeverCalled() throws IOException {
        Map<String, Spec> one = new LinkedHashMap<>();
        one.put("w", Spec.contiguous("0", 2));
        Pickle p = new Pickle().op(0x80, 2).op('}', '(');
        p.str("w").tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1});
        p.str("evil").global("os", "system").op('(').str("touch " + tmp.resolve("pwned")).op('t', 'R');
        p.str("built").global("posix", "system").op(')', 0x81).op('}', 'b');
        p.str("items").global("builtins", "eval").op(')', 'R', '(').str("a").str("b").op('u');
        p.op('u', '.');
        try (TorchCheckpoint c = TorchCheckpoint.open(write(torchZip(p.bytes(), Map.of("0", ramp(2, 1))).build()))) {
            assertEquals("", c.stateDictKey());
            assertArrayEquals(new float[] {0, 1}, c.floats("w"));
            assertEquals("not a tensor: opaque os.system(...)", c.skipped().get("evil"));
            assertEquals("not a tensor: opaque posix.system.__new__(...)", c.skipped().get("built"));
            assertEquals("not a tensor: opaque builtins.eval(...)", c.skipped().get("items"));
        }
        assertTrue(Files.notExists(tmp.resolve("pwned")));
    }

    @Test
    void tensorLayoutsOutsideTheirStorage() throws IOException {
        rejects(layout(new Spec("FloatStorage", "0", 4, 0, new long[] {5}, new long[] {1}), 16), "expected a view within");
        rejects(layout(new Spec("FloatStorage", "0", 4, 3, new long[] {2}, new long[] {1}), 16), "expected a view within");
        rejects(layout(new Spec("FloatStorage", "0", 4, 0, new long[] {2, 2}, new long[] {3, 1}), 16),
                "expected a view within");
        rejects(layout(new Spec("FloatStorage", "0", 4, -1, new long[] {1}, new long[] {1}), 16), "offset >= 0");
        rejects(layout(new Spec("FloatStorage", "0", 4, 0, new long[] {2}, new long[] {-1}), 16), "strides >= 0");
        rejects(layout(new Spec("FloatStorage", "0", 4, 0, new long[] {1L << 40, 1L << 40}, new long[] {1, 1}), 16),
                "overflows");
        rejects(layout(new Spec("FloatStorage", "0", 1L << 62, 0, new long[] {1}, new long[] {1}), 16),
                "overflowing number of bytes");
        rejects(layout(new Spec("FloatStorage", "0", 5, 0, new long[] {4}, new long[] {1}), 16),
                "expected 5 float32 elements = 20 bytes, found an entry of 16 bytes");
        rejects(layout(new Spec("FloatStorage", "7", 4, 0, new long[] {4}, new long[] {1}), 16),
                "expected zip entry 'archive/data/7'");
        rejects(layout(new Spec("FloatStorage", "../0", 4, 0, new long[] {4}, new long[] {1}), 16), "found none");
        // zero-size tensors are fine anywhere in range
        try (TorchCheckpoint c = TorchCheckpoint.open(write(layout(
                new Spec("FloatStorage", "0", 4, 4, new long[] {0, 3}, new long[] {3, 1}), 16)))) {
            assertEquals(0, c.floats("w").length);
        }
    }

    byte[] layout(Spec s, int storageBytes) {
        Map<String, Spec> t = new LinkedHashMap<>();
        t.put("w", s);
        Map<String, byte[]> storages = new LinkedHashMap<>();
        storages.put("0", new byte[storageBytes]);
        return torchZip(stateDictPickle(t, true), storages).build();
    }

    @Test
    void inconsistentSharedStoragesAndForeignTypes() throws IOException {
        Map<String, Spec> t = new LinkedHashMap<>();
        t.put("a", Spec.contiguous("0", 4));
        t.put("b", new Spec("HalfStorage", "0", 8, 0, new long[] {8}, new long[] {1}));
        rejects(torchZip(stateDictPickle(t, false), Map.of("0", new byte[16])).build(), "same type and size");
        Map<String, Spec> u = new LinkedHashMap<>();
        u.put("a", Spec.contiguous("0", 4));
        u.put("ids", new Spec("LongStorage", "1", 2, 0, new long[] {2}, new long[] {1}));
        u.put("q", new Spec("QInt8Storage", "2", 3, 0, new long[] {3}, new long[] {1}));
        u.put("d", new Spec("float64", "3", 1, 0, new long[] {1}, new long[] {1}));
        Map<String, byte[]> st = Map.of("0", ramp(4, 2), "1", new byte[16], "2", new byte[3], "3", new byte[8]);
        try (TorchCheckpoint c = TorchCheckpoint.open(write(torchZip(stateDictPickle(u, false), st).build()))) {
            assertEquals(java.util.List.of("a"), c.names());
            assertEquals(SafeTensors.DType.F32, c.dtype("a"));
            assertEquals("int64 tensor [2] (only float32, float16 and bfloat16 are read)", c.skipped().get("ids"));
            assertTrue(c.skipped().get("q").startsWith("torch.QInt8Storage tensor"), c.skipped().toString());
            assertTrue(c.skipped().get("d").startsWith("float64 tensor"), c.skipped().toString());
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> c.floats("ids"));
            assertTrue(e.getMessage().contains("expected tensor 'ids', found int64 tensor [2]"), e.getMessage());
            assertInstanceOf(MappedByteBuffer.class, c.float32Bytes("a"));
        }
    }

    @Test
    void stateDictSelection() throws IOException {
        Pickle p = new Pickle().op(0x80, 2).op('}', '(').str("epoch").integer(3).str("note").str("x").op('u', '.');
        rejects(pickleZip(p.bytes()), "expected a state dict under one of [model_state_dict, state_dict, model, module]"
                + " or a top-level dict of tensors, found top-level keys [epoch, note]");
        Path f = write(simple(2, 2).build());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TorchCheckpoint.open(f, "model"));
        assertTrue(e.getMessage().contains("expected a dict under 'model', found nothing (top-level keys: [w])"),
                e.getMessage());
        try (TorchCheckpoint c = TorchCheckpoint.open(f)) {
            e = assertThrows(ModelFormatException.class, () -> c.floats("nope"));
            assertTrue(e.getMessage().contains("expected tensor 'nope', found no such tensor"), e.getMessage());
        }
    }
}
