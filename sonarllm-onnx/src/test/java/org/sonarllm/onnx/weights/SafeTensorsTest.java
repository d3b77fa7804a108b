package org.sonarllm.onnx.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.arrays;
import static org.quicktheories.generators.SourceDSL.integers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.ModelFormatException;

class SafeTensorsTest {
    @TempDir
    Path tmp;

    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    Path write(byte[] bytes) throws IOException {
        Path p = Files.createTempFile(tmp, "t", ".safetensors");
        Files.write(p, bytes);
        return p;
    }

    static byte[] le(short... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : v) {
            b.putShort(s);
        }
        return b.array();
    }

    @Test
    void readsF32F16Bf16WithKnownValues() throws IOException {
        ByteBuffer f32 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-0.25f);
        byte[] f16 = le((short) 0x3C00, (short) 0xC000, (short) 0x7BFF, (short) 0x0001, (short) 0xFC00, (short) 0x3555);
        byte[] bf16 = le((short) 0x3F80, (short) 0x4049);
        byte[] data = new byte[8 + 12 + 4];
        System.arraycopy(f32.array(), 0, data, 0, 8);
        System.arraycopy(f16, 0, data, 8, 12);
        System.arraycopy(bf16, 0, data, 20, 4);
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[8,20]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[20,24]}}";
        try (SafeTensors st = SafeTensors.open(write(file(header, data)))) {
            assertEquals(java.util.List.of("a", "b", "c"), st.names());
            assertEquals("pt", st.metadata().get("format"));
            assertArrayEquals(new float[] {1.5f, -0.25f}, st.floats("a"));
            assertArrayEquals(new long[] {2, 3}, st.shape("b"));
            assertEquals(SafeTensors.DType.F16, st.dtype("b"));
            assertArrayEquals(new float[] {1f, -2f, 65504f, 0x1p-24f, Float.NEGATIVE_INFINITY, 0.333251953125f},
                    st.floats("b"));
            assertArrayEquals(new float[] {1f, 3.140625f}, st.floats("c"));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> st.requireShape("b", 3, 2));
            assertTrue(e.getMessage().contains("expected shape [3, 2], found [2, 3]"), e.getMessage());
            e = assertThrows(ModelFormatException.class, () -> st.floats("zzz"));
            assertTrue(e.getMessage().contains("expected tensor 'zzz'"), e.getMessage());
        }
    }

    @Test
    void bytesRoundTripAndAreNeverReadAsFloat(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        java.nio.file.Path f = dir.resolve("q.safetensors");
        new SafeTensorsWriter().addBytes("w.q8", new long[] {2, 3}, () -> new byte[] {0, 1, 2, (byte) 253, (byte) 254, (byte) 255})
                .add("w.scales", new float[] {0.5f, 0.25f}, 2).write(f);
        try (SafeTensors st = SafeTensors.open(f)) {
            assertEquals(SafeTensors.DType.U8, st.dtype("w.q8"));
            java.nio.ByteBuffer b = st.bytes("w.q8");
            byte[] got = new byte[b.remaining()];
            b.get(got);
            assertArrayEquals(new byte[] {0, 1, 2, (byte) 253, (byte) 254, (byte) 255}, got);
            assertArrayEquals(new float[] {0.5f, 0.25f}, st.floats("w.scales"));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> st.floats("w.q8"));
            assertTrue(e.getMessage().contains("expected a float tensor, found U8"), e.getMessage());
            e = assertThrows(ModelFormatException.class, () -> st.bytes("w.scales"));
            assertTrue(e.getMessage().contains("expected U8, found F32"), e.getMessage());
        }
    }

    @Test
    void halfConversionMatchesDefinitionForAllFiniteValues() {
        for (int bits = 0; bits < 0x10000; bits++) {
            int exp = (bits >> 10) & 0x1f;
            int mant = bits & 0x3ff;
            if (exp == 0x1f) {
                continue;
            }
            double v = exp == 0 ? mant * Math.pow(2, -24) : (1 + mant / 1024.0) * Math.pow(2, exp - 15);
            if ((bits & 0x8000) != 0) {
                v = -v;
            }
            assertEquals((float) v, SafeTensors.halfToFloat((short) bits), "bits " + Integer.toHexString(bits));
        }
        assertTrue(Float.isNaN(SafeTensors.halfToFloat((short) 0x7E00)));
    }

    @Test
    void floatToHalfInvertsHalfToFloatAndRoundsToNearestEven() {
        for (int bits = 0; bits < 0x10000; bits++) { // every half value survives the round trip
            float v = SafeTensors.halfToFloat((short) bits);
            if (!Float.isNaN(v)) {
                assertEquals(bits, SafeTensors.floatToHalf(v) & 0xffff, "bits " + Integer.toHexString(bits));
            }
        }
        // hand-computed: 1 + 2^-11 is halfway between 1 (0x3c00, even) and 1 + 2^-10 (0x3c01): to even
        assertEquals(0x3c00, SafeTensors.floatToHalf(1f + 0x1p-11f) & 0xffff);
        assertEquals(0x3c02, SafeTensors.floatToHalf(1f + 3 * 0x1p-11f) & 0xffff); // 0x3c01.5 -> even 0x3c02
        assertEquals(0x3c01, SafeTensors.floatToHalf(1f + 0x1p-11f + 0x1p-20f) & 0xffff); // just past halfway
        assertEquals(0x3555, SafeTensors.floatToHalf(1f / 3) & 0xffff); // 0.333252 (IEEE 754 table value)
        assertEquals(0x7bff, SafeTensors.floatToHalf(65519f) & 0xffff); // rounds down to 65504
        assertEquals(0x7c00, SafeTensors.floatToHalf(65520f) & 0xffff); // the tie past 65504 (odd) goes to infinity
        assertEquals(0xfc00, SafeTensors.floatToHalf(Float.NEGATIVE_INFINITY) & 0xffff);
        assertEquals(0x0001, SafeTensors.floatToHalf(0x1p-24f) & 0xffff); // smallest subnormal
        assertEquals(0x0000, SafeTensors.floatToHalf(0x1p-25f) & 0xffff); // tie with 0: to even
        assertEquals(0x0002, SafeTensors.floatToHalf(3 * 0x1p-25f) & 0xffff); // 1.5 x 2^-24: to even 2
        assertEquals(0x8400, SafeTensors.floatToHalf(-0x1p-14f) & 0xffff); // smallest normal, negative
        assertEquals(0x0400, SafeTensors.floatToHalf(0x1p-14f - 0x1p-30f) & 0xffff); // subnormal rounding up to it
        assertTrue(Float.isNaN(SafeTensors.halfToFloat(SafeTensors.floatToHalf(Float.NaN))));
        // any finite float in range: the nearest half, by the definition (no other half closer; ties even)
        qt().withExamples(20_000).forAll(integers().all()).checkAssert(raw -> {
            float f = Float.intBitsToFloat(raw);
            if (!Float.isFinite(f) || Math.abs(f) >= 65504f) {
                return;
            }
            short h = SafeTensors.floatToHalf(f);
            double err = Math.abs((double) f - SafeTensors.halfToFloat(h));
            for (int d : new int[] {-1, 1}) {
                int n = (h & 0x7fff) + d;
                if (n < 0 || n > 0x7bff) {
                    continue;
                }
                double other = Math.abs((double) f - SafeTensors.halfToFloat((short) ((h & 0x8000) | n)));
                assertTrue(err < other || (err == other && (h & 1) == 0), f + " -> " + Integer.toHexString(h & 0xffff));
            }
        });
    }

    @Test
    void writerStoresHalvesAndRefusesValuesBeyondTheirRange() throws IOException {
        float[] v = {1f / 3, -2.5f, 65504f, 1e-8f};
        Path f32 = tmp.resolve("a.safetensors");
        new SafeTensorsWriter().add("w", v, 2, 2).write(f32);
        Path f16 = tmp.resolve("b.safetensors");
        try (SafeTensors src = SafeTensors.open(f32)) {
            new SafeTensorsWriter().copyAsHalf("w", src, "w").write(f16);
        }
        try (SafeTensors h = SafeTensors.open(f16)) {
            assertEquals(SafeTensors.DType.F16, h.dtype("w"));
            assertArrayEquals(new long[] {2, 2}, h.shape("w"));
            assertArrayEquals(new float[] {0.333251953125f, -2.5f, 65504f, 0f}, h.floats("w"));
        }
        new SafeTensorsWriter().add("w", new float[] {1, 70000f}, 2).write(f32);
        try (SafeTensors src = SafeTensors.open(f32)) {
            org.sonarllm.InvalidInputException e = assertThrows(org.sonarllm.InvalidInputException.class,
                    () -> new SafeTensorsWriter().copyAsHalf("w", src, "w").write(f16));
            assertEquals("w: expected values within float16's range (+-65504), found 70000.0 at element 1; keep this"
                    + " tensor float32", e.getMessage());
        }
    }

    void rejects(byte[] bytes, String fragment) throws IOException {
        Path p = write(bytes);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.open(p).close());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void rejectsMaliciousOrTruncatedFiles() throws IOException {
        rejects(new byte[] {1, 2, 3}, "expected at least 8 bytes");
        ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE);
        rejects(huge.array(), "expected a header length");
        ByteBuffer neg = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-5);
        rejects(neg.array(), "expected a header length");
        rejects(file("{not json", new byte[0]), "not valid JSON");
        rejects(file("[1,2]", new byte[0]), "expected a JSON object header");
        rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]),
                "expected data_offsets within [0, 8]");
        rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]),
                "expected 12 bytes");
        rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", new byte[8]),
                "non-negative integer dimensions");
        rejects(file("{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]),
                "expected dtype F32, F16, BF16 or U8, found I64");
        rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}",
                new byte[8]), "overflows");
        rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]), "overlap");
        rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", new byte[8]), "expected data_offsets");
        // header length pointing past the end of the file (truncated header)
        byte[] ok = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]);
        rejects(java.util.Arrays.copyOf(ok, 20), "expected a header length");
        // truncated data
        rejects(java.util.Arrays.copyOf(ok, ok.length - 1), "expected data_offsets within");
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> SafeTensors.open(tmp.resolve("missing.safetensors")));
        assertTrue(e.getMessage().contains("file not found"));
    }

    @Test
    void randomHeadersNeverEscapeAsOtherExceptions() {
        qt().withExamples(300).forAll(arrays().ofIntegers(integers().between(0, 255)).withLengthBetween(0, 64))
                .checkAssert(raw -> {
                    byte[] body = new byte[raw.length];
                    for (int i = 0; i < raw.length; i++) {
                        body[i] = (byte) (int) raw[i];
                    }
                    try {
                        Path p = write(file("{\"a\":" + new String(body, StandardCharsets.ISO_8859_1) + "}", new byte[16]));
                        try (SafeTensors st = SafeTensors.open(p)) {
                            for (String n : st.names()) {
                                st.floats(n);
                            }
                        } catch (ModelFormatException expected) {
                            // the only acceptable failure
                        }
                    } catch (IOException ex) {
                        throw new RuntimeException(ex);
                    }
                });
    }
}
