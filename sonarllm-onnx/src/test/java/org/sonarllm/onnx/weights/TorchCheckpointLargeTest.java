package org.sonarllm.onnx.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.ModelFormatException;

/**
 * A storage larger than 4 GiB in a sparse file (the hole costs no disk): ZIP64 sizes and offsets,
 * a small view mapped from beyond 4 GiB, and a tensor over 2 GiB rejected with a clear message.
 */
class TorchCheckpointLargeTest {
    @TempDir
    Path tmp;

    @Test
    void storagesBeyond4GiBAreMappedPieceByPieceAndHugeTensorsRejected() throws IOException {
        long numel = (1L << 30) + 4; // 4 GiB + 16 bytes of float32
        Map<String, TorchFiles.Spec> t = new LinkedHashMap<>();
        t.put("huge", new TorchFiles.Spec("FloatStorage", "0", numel, 0, new long[] {numel}, new long[] {1}));
        t.put("tail", new TorchFiles.Spec("FloatStorage", "0", numel, numel - 2, new long[] {2}, new long[] {1}));
        t.put("tail_t", new TorchFiles.Spec("FloatStorage", "0", numel, numel - 4, new long[] {2, 2},
                new long[] {1, 2}));
        byte[] pickle = TorchFiles.stateDictPickle(t, false);
        Path f = tmp.resolve("sparse.pt");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            byte[] pName = "archive/data.pkl".getBytes(StandardCharsets.US_ASCII);
            byte[] sName = "archive/data/0".getBytes(StandardCharsets.US_ASCII);
            long size = numel * 4;
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(pickle);
            ch.write(local(pName, pickle.length, (int) crc.getValue(), false), 0);
            ch.write(ByteBuffer.wrap(pickle), 30 + pName.length);
            long second = 30 + pName.length + pickle.length;
            ch.write(local(sName, size, 0, true), second);
            long data = second + 30 + sName.length + 20;
            ByteBuffer tail = TorchFiles.buf(16).putFloat(1.5f).putFloat(-2f).putFloat(0.25f).putFloat(8f).flip();
            ch.write(tail, data + size - 16);
            long cd = data + size;
            ByteBuffer c = TorchFiles.buf(2 * 46 + pName.length + sName.length + 28);
            central(c, pName, pickle.length, (int) crc.getValue(), 0, false);
            central(c, sName, size, 0, second, true);
            ch.write(c.flip(), cd);
            long cdSize = c.limit();
            long z64 = cd + cdSize;
            ByteBuffer end = TorchFiles.buf(56 + 20 + 22);
            end.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45).putInt(0).putInt(0)
                    .putLong(2).putLong(2).putLong(cdSize).putLong(cd);
            end.putInt(0x07064b50).putInt(0).putLong(z64).putInt(1);
            end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) -1).putShort((short) -1)
                    .putInt(-1).putInt(-1).putShort((short) 0);
            ch.write(end.flip(), z64);
        }
        try (TorchCheckpoint c = TorchCheckpoint.open(f)) {
            assertEquals(numel, c.numel("huge"));
            ByteBuffer tail = c.float32Bytes("tail");
            assertInstanceOf(MappedByteBuffer.class, tail);
            assertArrayEquals(new float[] {0.25f, 8f}, c.floats("tail"));
            assertArrayEquals(new float[] {1.5f, 0.25f, -2f, 8f}, c.floats("tail_t"));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> c.float32Bytes("huge"));
            assertTrue(e.getMessage().contains("expected at most 2 GiB per tensor, found 1073741828 elements"),
                    e.getMessage());
        }
    }

    private static ByteBuffer local(byte[] name, long size, int crc, boolean zip64) {
        ByteBuffer b = TorchFiles.buf(30 + name.length + (zip64 ? 20 : 0));
        b.putInt(0x04034b50).putShort((short) 45).putShort((short) 0).putShort((short) 0).putShort((short) 0)
                .putShort((short) 0x21).putInt(crc).putInt(zip64 ? -1 : (int) size).putInt(zip64 ? -1 : (int) size)
                .putShort((short) name.length).putShort((short) (zip64 ? 20 : 0)).put(name);
        if (zip64) {
            b.putShort((short) 1).putShort((short) 16).putLong(size).putLong(size);
        }
        return b.flip();
    }

    private static void central(ByteBuffer c, byte[] name, long size, int crc, long offset, boolean zip64) {
        c.putInt(0x02014b50).putShort((short) 45).putShort((short) 45).putShort((short) 0).putShort((short) 0)
                .putShort((short) 0).putShort((short) 0x21).putInt(crc).putInt(zip64 ? -1 : (int) size)
                .putInt(zip64 ? -1 : (int) size).putShort((short) name.length).putShort((short) (zip64 ? 28 : 0))
                .putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0).putInt(zip64 ? -1 : (int) offset)
                .put(name);
        if (zip64) {
            c.putShort((short) 1).putShort((short) 24).putLong(size).putLong(size).putLong(offset);
        }
    }
}
