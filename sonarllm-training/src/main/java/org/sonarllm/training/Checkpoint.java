package org.sonarllm.training;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.SonarLlmException;

/**
 * Training checkpoint of the {@link TrainingLoop}, the same for every task: parameters, AdamW moments
 * and step count, optimizer step, data position (epoch and batch index into its order), seed, and a
 * fingerprint of the task and the run settings. Written to a temporary file, synced, then renamed over
 * the old one, so a kill never leaves a half-written checkpoint; a CRC32 trailer detects corruption on
 * read ({@link CorruptCheckpointException}); another format version is a
 * {@link CheckpointMismatchException}.
 *
 * <pre>{@code
 * new Checkpoint(fp, step, epoch, batch, seed, adam.steps(), params, adam.firstMoments(), adam.secondMoments()).write(file);
 * Checkpoint c = Checkpoint.read(file);
 * }</pre>
 *
 * @param fingerprint model and run settings the checkpoint belongs to
 * @param step optimizer steps taken
 * @param epoch current epoch
 * @param position batches of the current epoch already consumed
 * @param seed data-order seed
 * @param adamSteps AdamW step count
 * @param params parameters by name
 * @param first AdamW first moments
 * @param second AdamW second moments
 */
record Checkpoint(String fingerprint, long step, int epoch, int position, long seed, long adamSteps,
        Map<String, INDArray> params, Map<String, INDArray> first, Map<String, INDArray> second) {
    private static final long MAGIC = 0x534c4c4d434b5054L; // "SLLMCKPT"
    private static final int VERSION = 2;

    /**
     * Writes atomically (temporary file + rename).
     *
     * @param file target
     */
    void write(Path file) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (FileOutputStream fos = new FileOutputStream(tmp.toFile())) {
                CRC32 crc = new CRC32();
                DataOutputStream out = new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(fos, 1 << 20), crc));
                out.writeLong(MAGIC);
                out.writeInt(VERSION);
                out.writeUTF(fingerprint);
                out.writeLong(step);
                out.writeInt(epoch);
                out.writeInt(position);
                out.writeLong(seed);
                out.writeLong(adamSteps);
                writeMap(out, params);
                writeMap(out, first);
                writeMap(out, second);
                out.flush();
                long sum = crc.getValue();
                out.writeLong(sum);
                out.flush();
                fos.getFD().sync();
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new SonarLlmException("cannot write checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    private static void writeMap(DataOutputStream out, Map<String, INDArray> m) throws IOException {
        out.writeInt(m.size());
        for (Map.Entry<String, INDArray> e : m.entrySet()) {
            INDArray a = e.getValue();
            out.writeUTF(e.getKey());
            boolean dbl = a.dataType() == DataType.DOUBLE;
            out.writeBoolean(dbl);
            out.writeInt(a.rank());
            for (long s : a.shape()) {
                out.writeLong(s);
            }
            INDArray c = a.dup('c');
            ByteBuffer bb = ByteBuffer.allocate((int) c.length() * (dbl ? 8 : 4)).order(ByteOrder.LITTLE_ENDIAN);
            if (dbl) {
                bb.asDoubleBuffer().put(c.data().asDouble());
            } else {
                bb.asFloatBuffer().put(c.castTo(DataType.FLOAT).data().asFloat());
            }
            out.write(bb.array());
        }
    }

    /**
     * @param file a checkpoint
     * @return its contents
     * @throws CorruptCheckpointException if it is truncated, corrupt or not a checkpoint
     * @throws CheckpointMismatchException if it has another format version
     */
    static Checkpoint read(Path file) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            CRC32 crc = new CRC32();
            DataInputStream in = new DataInputStream(new CheckedInputStream(raw, crc));
            long magic = in.readLong();
            if (magic != MAGIC) {
                throw new CorruptCheckpointException(file, "a sonarllm training checkpoint", "other data", null);
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new CheckpointMismatchException(file, "format version " + VERSION, String.valueOf(version));
            }
            String fp = in.readUTF();
            long step = in.readLong();
            int epoch = in.readInt();
            int position = in.readInt();
            long seed = in.readLong();
            long adamSteps = in.readLong();
            Map<String, INDArray> p = readMap(in, file);
            Map<String, INDArray> m = readMap(in, file);
            Map<String, INDArray> v = readMap(in, file);
            long want = crc.getValue();
            long got = new DataInputStream(raw).readLong();
            if (want != got) {
                throw new CorruptCheckpointException(file, "CRC " + Long.toHexString(want), Long.toHexString(got), null);
            }
            return new Checkpoint(fp, step, epoch, position, seed, adamSteps, p, m, v);
        } catch (EOFException e) {
            throw new CorruptCheckpointException(file, "more data", "end of file", e);
        } catch (CorruptCheckpointException | CheckpointMismatchException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new CorruptCheckpointException(file, "a readable checkpoint", String.valueOf(e.getMessage()), e);
        }
    }

    private static Map<String, INDArray> readMap(DataInputStream in, Path file) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 1_000_000) {
            throw new CorruptCheckpointException(file, "a tensor count", String.valueOf(n), null);
        }
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String name = in.readUTF();
            boolean dbl = in.readBoolean();
            int rank = in.readInt();
            if (rank < 0 || rank > 8) {
                throw new CorruptCheckpointException(file, "a tensor rank", String.valueOf(rank), null);
            }
            long[] shape = new long[rank];
            long len = 1;
            for (int r = 0; r < rank; r++) {
                shape[r] = in.readLong();
                len *= shape[r];
            }
            if (len < 0 || len > Integer.MAX_VALUE / 8) {
                throw new CorruptCheckpointException(file, "a tensor size", len + " for " + name, null);
            }
            byte[] bytes = new byte[(int) len * (dbl ? 8 : 4)];
            in.readFully(bytes);
            ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            INDArray a;
            if (dbl) {
                double[] d = new double[(int) len];
                bb.asDoubleBuffer().get(d);
                a = Nd4j.createFromArray(d);
            } else {
                float[] f = new float[(int) len];
                bb.asFloatBuffer().get(f);
                a = Nd4j.createFromArray(f);
            }
            m.put(name, rank == 0 ? a.reshape() : a.reshape(shape));
        }
        return m;
    }
}
