package org.sonarllm.training;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sizes a checkpoint declares are checked against the file before anything is allocated. */
class CheckpointBoundsTest {
    @TempDir
    Path tmp;

    /** A checkpoint header (magic, version, settings, counters, losses) followed by one tensor declaration. */
    private Path crafted(boolean dbl, long... shape) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.writeLong(0x534c4c4d434b5054L); // "SLLMCKPT"
        out.writeInt(3);
        out.writeInt(1); // one setting
        out.writeUTF("task");
        out.writeUTF("run");
        out.writeLong(1);
        out.writeInt(0);
        out.writeInt(0);
        out.writeLong(42);
        out.writeLong(1);
        out.writeDouble(1.5);
        out.writeDouble(Double.NaN);
        out.writeInt(1); // one tensor
        out.writeUTF("w");
        out.writeBoolean(dbl);
        out.writeInt(shape.length);
        for (long s : shape) {
            out.writeLong(s);
        }
        out.write(new byte[16]); // a few bytes of "data"
        Path f = tmp.resolve("checkpoint-" + System.nanoTime() + ".bin");
        Files.write(f, b.toByteArray());
        return f;
    }

    private void corrupt(Path f, String fragment) {
        CorruptCheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> assertThrows(CorruptCheckpointException.class, () -> Checkpoint.read(f)));
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void hugeDeclaredTensorsAreCorruptFilesNotOutOfMemory() throws IOException {
        // 268M doubles (2 GiB) declared in a file of under a hundred bytes
        corrupt(crafted(true, 268_435_455L), "a tensor that fits in the file");
        // 2^31 - 1 floats: the byte count would overflow an int
        corrupt(crafted(false, Integer.MAX_VALUE), "a tensor that fits in the file");
        // a product of dimensions that overflows a long
        corrupt(crafted(false, 1L << 31, 1L << 31, 1L << 31), "tensor dimensions in 0..");
        corrupt(crafted(false, 3_000_000_000L), "tensor dimensions in 0..");
        corrupt(crafted(false, 4, -1), "tensor dimensions in 0..");
        corrupt(crafted(false, 1 << 20, 1 << 20), "a tensor that fits in the file");
    }
}
