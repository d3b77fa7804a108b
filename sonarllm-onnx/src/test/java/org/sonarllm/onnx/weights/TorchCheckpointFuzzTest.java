package org.sonarllm.onnx.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.ModelFormatException;

/**
 * Mutates valid torch.save files (bit flips, byte overwrites, insertions, deletions, truncation) in
 * data.pkl (re-zipped with a matching CRC, so that the unpickler sees the mutation), in the raw zip
 * structures and anywhere else, and requires every outcome to be either a read
 * whose tensors have the sizes their shapes promise or a ModelFormatException, within a time bound.
 * Any other exception or error, a hang or an out-of-memory fails the test.
 */
class TorchCheckpointFuzzTest {
    @TempDir
    Path tmp;
    private int read;
    private int rejected;

    /** Regions of a file: [pickle start, pickle end) and [central directory start, file end). */
    record Regions(int pickleStart, int pickleEnd, int cdStart) {
        static Regions of(byte[] zip) {
            ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
            int cd = b.getInt(zip.length - 6);
            // the first entry of a torch.save archive is <archive>/data.pkl
            int nameLen = b.getShort(26) & 0xffff;
            int extraLen = b.getShort(28) & 0xffff;
            int start = 30 + nameLen + extraLen;
            long size = b.getInt(18) == -1 ? b.getLong(30 + nameLen + 12) : b.getInt(18); // ZIP64 local extra
            return new Regions(start, (int) (start + size), cd);
        }
    }

    /** @return the archive's entries in order, read with java.util.zip (an independent reader) */
    Map<String, byte[]> entries(byte[] zip) throws IOException {
        Path f = Files.createTempFile(tmp, "src", ".zip");
        Files.write(f, zip);
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(f.toFile())) {
            for (ZipEntry e : java.util.Collections.list(z.entries())) {
                out.put(e.getName(), z.getInputStream(e).readAllBytes());
            }
        }
        return out;
    }

    /**
     * The archive rebuilt with every entry as it is except data.pkl, which is mutated: CRC and sizes
     * stay consistent, so the mutation reaches the unpickler.
     */
    static byte[] withMutatedPickle(Map<String, byte[]> entries, int kind, int pos, int value) {
        TorchFiles.Zip z = new TorchFiles.Zip();
        entries.forEach((name, data) -> z.add(name, name.endsWith("/data.pkl")
                ? mutate(data, new Regions(0, data.length, data.length), 0, kind, pos, value) : data));
        return z.build();
    }

    static byte[] mutate(byte[] src, Regions r, int where, int kind, int pos, int value) {
        int from;
        int to;
        switch (where) {
            case 0 -> {
                from = r.pickleStart;
                to = r.pickleEnd;
            }
            case 1 -> {
                from = r.cdStart;
                to = src.length;
            }
            case 2 -> {
                from = 0;
                to = r.pickleStart;
            }
            default -> {
                from = 0;
                to = src.length;
            }
        }
        int at = from + Math.floorMod(pos, Math.max(1, to - from));
        byte[] out;
        switch (kind) {
            case 0 -> { // bit flip
                out = src.clone();
                out[at] ^= (byte) (1 << (value & 7));
            }
            case 1 -> { // overwrite with an interesting or random byte
                out = src.clone();
                int[] interesting = {0, 0xff, 0x7f, 0x80, 0x01, '.', '(', 'X', 'h'};
                out[at] = (byte) (value < 64 ? interesting[value % interesting.length] : value);
            }
            case 2 -> { // insert a byte
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                b.write(src, 0, at);
                b.write(value);
                b.write(src, at, src.length - at);
                out = b.toByteArray();
            }
            case 3 -> { // delete a byte
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                b.write(src, 0, at);
                b.write(src, at + 1, src.length - at - 1);
                out = b.toByteArray();
            }
            default -> out = java.util.Arrays.copyOf(src, at); // truncate
        }
        return out;
    }

    void readOrReject(byte[] bytes) {
        Path p;
        try {
            p = Files.createTempFile(tmp, "f", ".pt");
            Files.write(p, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (TorchCheckpoint c = TorchCheckpoint.open(p)) {
                for (String n : c.names()) {
                    assertEquals(c.numel(n) * 4, c.float32Bytes(n).remaining(), n);
                }
                read++;
            } catch (ModelFormatException expected) {
                rejected++; // the only acceptable failure
            }
        });
        try {
            Files.delete(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void fuzz(String fixture, int examples) throws IOException {
        fuzz(Files.readAllBytes(TorchCheckpointFixturesTest.fixture(fixture)), examples, 20250811L);
    }

    void fuzz(byte[] src, int examples, long seed) throws IOException {
        Regions r = Regions.of(src);
        Map<String, byte[]> entries = entries(src);
        read = 0;
        rejected = 0;
        qt().withFixedSeed(seed).withExamples(examples).forAll(
                integers().between(0, 3), integers().between(0, 4), integers().all(), integers().between(0, 255))
                .checkAssert((where, kind, pos, value) -> readOrReject(where == 0
                        ? withMutatedPickle(entries, kind, pos, value) : mutate(src, r, where, kind, pos, value)));
        // both outcomes occur: the mutations reach past the first check and some still read
        assertTrue(read > examples / 20 && rejected > examples / 20, read + " read, " + rejected + " rejected");
    }

    @Test
    void mutatedViewsAndHalfFiles() throws IOException {
        fuzz("special/views.pt", 600);
        fuzz("special/half.pt", 300);
    }

    @Test
    void mutatedProtocol4And5Files() throws IOException {
        fuzz("special/protocol4.pt", 400);
        fuzz("special/protocol5.pt", 300);
    }

    @Test
    void mutatedAuthorsCheckpoint() throws IOException {
        fuzz("authors/checkpoint.pt", 300);
    }

    @Test
    void mutatedHandMadeZip64AndDeflatedFiles() throws IOException {
        TorchFiles.Zip z = TorchFiles.simple(3, 5);
        z.zip64 = true;
        z.entry("archive/data/0").deflate = true;
        fuzz(z.build(), 500, 7L);
    }
}
