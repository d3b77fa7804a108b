package org.sonarllm.onnx.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.SonarLlmException;

/**
 * The streaming paths: {@link TensorSource#readFloat32} (pieces, F16/BF16 widened piece by piece, equal to
 * the whole-tensor reads), {@link SafeTensorsWriter} fed by streams (layout, progress, wrong counts, a full
 * disk), and {@link TensorSources} over sharded folders (index errors).
 */
class TensorStreamingTest {
    @TempDir
    Path tmp;

    static float[] collect(TensorSource src, String name, List<Integer> pieces) throws IOException {
        ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(src.numel(name) * 4)).order(ByteOrder.LITTLE_ENDIAN);
        src.readFloat32(name, b -> {
            assertTrue(b.remaining() <= TensorSource.CHUNK_BYTES);
            pieces.add(b.remaining());
            all.put(b);
        });
        float[] out = new float[all.flip().remaining() / 4];
        all.asFloatBuffer().get(out);
        return out;
    }

    /** An F16 tensor larger than one piece, and BF16: streamed values equal the whole-tensor conversion. */
    @Test
    void streamedHalfPrecisionEqualsWholeTensorReads() throws IOException {
        int n = TensorSource.CHUNK_BYTES / 4 * 2 + 123; // three pieces
        Random r = new Random(1);
        ByteBuffer data = ByteBuffer.allocate(n * 2 + 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n + 4; i++) {
            data.putShort((short) r.nextInt(1 << 16));
        }
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[" + n + "],\"data_offsets\":[0," + 2 * n + "]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[" + 2 * n + "," + (2 * n + 8) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path f = tmp.resolve("half.safetensors");
        ByteBuffer file = ByteBuffer.allocate(8 + h.length + data.capacity()).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(h.length).put(h).put(data.array());
        Files.write(f, file.array());
        try (SafeTensors st = SafeTensors.open(f)) {
            List<Integer> pieces = new ArrayList<>();
            assertArrayEquals(st.floats("h"), collect(st, "h", pieces));
            assertEquals(List.of(TensorSource.CHUNK_BYTES, TensorSource.CHUNK_BYTES, 123 * 4), pieces);
            assertArrayEquals(st.floats("b"), collect(st, "b", new ArrayList<>()));
        }
    }

    /** Torch views (strided, offsets into a shared storage) stream the same values as whole reads. */
    @Test
    void torchTensorsStreamLikeTheyRead() throws Exception {
        for (String f : List.of("views.pt", "half.pt", "tied.pt")) {
            Path p = Path.of(getClass().getResource("/torch/special/" + f).toURI());
            try (TorchCheckpoint ck = TorchCheckpoint.open(p)) {
                for (String name : ck.names()) {
                    assertArrayEquals(ck.floats(name), collect(ck, name, new ArrayList<>()), f + " " + name);
                }
            }
        }
    }

    @Test
    void writerStreamsSourcesWithAlignedDataAndProgress() throws IOException {
        Path src = tmp.resolve("src.safetensors");
        float[] a = new float[1000];
        for (int i = 0; i < a.length; i++) {
            a[i] = i * 0.5f;
        }
        new SafeTensorsWriter().add("a", a, 10, 100).write(src);
        Path out = tmp.resolve("out.safetensors");
        List<long[]> progress = new ArrayList<>();
        SafeTensorsWriter w = new SafeTensorsWriter();
        try (SafeTensors s = SafeTensors.open(src)) {
            w.copy("copied", s, "a").add("lazy", new long[] {3}, () -> new float[] {1, 2, 3})
                    .add("streamed", new long[] {2, 2}, sink -> {
                        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
                        b.asFloatBuffer().put(new float[] {4, 5, 6, 7});
                        sink.accept(b.limit(8));
                        sink.accept(b.position(8).limit(16));
                    });
            w.write(out, (t, done, total) -> progress.add(new long[] {done, total}));
        }
        assertEquals(w.fileBytes(), Files.size(out));
        try (SafeTensors r = SafeTensors.open(out)) {
            assertArrayEquals(a, r.floats("copied"));
            assertArrayEquals(new float[] {1, 2, 3}, r.floats("lazy"));
            assertArrayEquals(new float[] {4, 5, 6, 7}, r.floats("streamed"));
            for (String n : r.names()) {
                assertEquals(0, r.fileOffset(n) % 4, n);
            }
            assertEquals(0, r.fileOffset("copied") % SafeTensorsWriter.DATA_ALIGNMENT, "data section aligned");
        }
        long total = (1000 + 3 + 4) * 4;
        assertEquals(total, progress.get(progress.size() - 1)[0]);
        for (int i = 1; i < progress.size(); i++) {
            assertTrue(progress.get(i)[0] > progress.get(i - 1)[0]);
            assertEquals(total, progress.get(i)[1]);
        }
    }

    @Test
    void aProducerOfTheWrongCountFailsAndLeavesNoFile() {
        Path out = tmp.resolve("bad.safetensors");
        SafeTensorsWriter w = new SafeTensorsWriter().add("x", new long[] {3}, sink -> sink.accept(
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> w.write(out));
        assertEquals("x: expected 3 values, found 2", e.getMessage());
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(tmp.resolve("bad.safetensors.tmp")));
    }

    /** Writes that hit ENOSPC ({@code /dev/full} behind the temporary file) name the file and say so. */
    @Test
    void aFullDeviceSaysNoSpaceLeftWithThePath() throws IOException {
        Path full = Path.of("/dev/full");
        assumeTrue(Files.isWritable(full), "Linux /dev/full");
        Path out = tmp.resolve("w.safetensors");
        Files.createSymbolicLink(tmp.resolve("w.safetensors.tmp"), full);
        SonarLlmException e = assertThrows(SonarLlmException.class,
                () -> new SafeTensorsWriter().add("x", new float[1 << 16], 1 << 16).write(out));
        assertEquals(out + ": no space left on device", e.getMessage());
    }

    @Test
    void duplicateHeaderKeysAreRejected() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = tmp.resolve("dup.safetensors");
        Files.write(f, b.array());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.open(f));
        assertTrue(e.getMessage().contains("Duplicate field 'a'"), e.getMessage());
    }

    @Test
    void shardIndexErrorsNameTheProblem() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("sharded"));
        new SafeTensorsWriter().add("a", new float[] {1}, 1).write(d.resolve("s1.safetensors"));
        new SafeTensorsWriter().add("b", new float[] {2}, 1).add("a", new float[] {3}, 1).write(d.resolve("s2.safetensors"));
        Path index = d.resolve(TensorSources.SAFETENSORS_INDEX);
        Files.writeString(index, "{\"weight_map\": {\"a\": \"s1.safetensors\", \"b\": \"s2.safetensors\"}}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TensorSources.openFolder(d));
        assertEquals(index + ": expected tensor 'a' in one file, found it in s1.safetensors and s2.safetensors", e.getMessage());
        Files.writeString(index, "{\"weight_map\": {\"a\": \"s1.safetensors\", \"c\": \"s3.safetensors\"}}");
        e = assertThrows(ModelFormatException.class, () -> TensorSources.openFolder(d));
        assertEquals(index + ": expected shard s3.safetensors, found no such file", e.getMessage());
        Files.writeString(index, "{\"weight_map\": {\"a\": \"../s1.safetensors\"}}");
        e = assertThrows(ModelFormatException.class, () -> TensorSources.openFolder(d));
        assertEquals(index + ": expected a file name in the index's folder for tensor 'a', found \"../s1.safetensors\"",
                e.getMessage());
        Files.writeString(index, "{\"weight_map\": {\"a\": \"s1.safetensors\", \"z\": \"s1.safetensors\"}}");
        e = assertThrows(ModelFormatException.class, () -> TensorSources.openFolder(d));
        assertEquals(index + ": expected s1.safetensors to hold the tensors the index maps to it, found it without [z]",
                e.getMessage());
        Files.delete(d.resolve("s2.safetensors")); // an unlisted shard would be ignored; remove it anyway
        Files.writeString(index, "{\"weight_map\": {\"a\": \"s1.safetensors\"}}");
        try (TensorSource s = TensorSources.openFolder(d)) {
            assertEquals(List.of("a"), s.names());
            assertArrayEquals(new float[] {1}, s.floats("a"));
        }
    }
}
