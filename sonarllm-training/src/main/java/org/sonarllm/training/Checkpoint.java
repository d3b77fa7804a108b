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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.bundle.BundleWriter;

/**
 * Training checkpoint of the {@link TrainingLoop}, the same for every task: parameters, AdamW moments
 * and step count, optimizer step, data position (epoch and batch index into its order), seed, and a
 * fingerprint of the task and the run settings. Written to a temporary file, synced, then renamed over
 * the old one, so a kill never leaves a half-written checkpoint; a CRC32 trailer detects corruption on
 * read ({@link CorruptCheckpointException}); another format version is a
 * {@link CheckpointMismatchException}. Format 3 stores the run's named settings (key -> value, see
 * {@link TrainingLoop}) and the last training and validation losses, so that a finished run reports them.
 *
 * <pre>{@code
 * new Checkpoint(settings, step, epoch, batch, seed, adam.steps(), loss, validation, params, adam.firstMoments(),
 *         adam.secondMoments()).write(file);
 * Checkpoint c = Checkpoint.read(file);
 * }</pre>
 *
 * @param settings the named settings of the run the checkpoint belongs to (model, task, optimiser, data hash)
 * @param step optimizer steps taken
 * @param epoch current epoch
 * @param position batches of the current epoch already consumed
 * @param seed data-order seed
 * @param adamSteps AdamW step count
 * @param lastLoss training loss of the last step (NaN before the first)
 * @param lastValidation last validation loss (NaN when none)
 * @param params parameters by name
 * @param first AdamW first moments
 * @param second AdamW second moments
 */
record Checkpoint(Map<String, String> settings, long step, int epoch, int position, long seed, long adamSteps,
        double lastLoss, double lastValidation, Map<String, INDArray> params, Map<String, INDArray> first, Map<String, INDArray> second) {
    private static final long MAGIC = 0x534c4c4d434b5054L; // "SLLMCKPT"
    private static final int VERSION = 3;

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
                out.writeInt(settings.size());
                for (Map.Entry<String, String> e : settings.entrySet()) {
                    out.writeUTF(e.getKey());
                    out.writeUTF(e.getValue());
                }
                out.writeLong(step);
                out.writeInt(epoch);
                out.writeInt(position);
                out.writeLong(seed);
                out.writeLong(adamSteps);
                out.writeDouble(lastLoss);
                out.writeDouble(lastValidation);
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
            try {
                Files.deleteIfExists(tmp); // a partial file would hold the space a full disk lacks
            } catch (IOException ignored) {
                // reported below
            }
            throw BundleWriter.writeFailure(tmp, e);
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
            Counting counted = new Counting(new CheckedInputStream(raw, crc), Files.size(file));
            DataInputStream in = new DataInputStream(counted);
            long magic = in.readLong();
            if (magic != MAGIC) {
                throw new CorruptCheckpointException(file, "a sonarllm training checkpoint", "other data", null);
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new CheckpointMismatchException(file, "format version " + VERSION, version
                        + (version < VERSION ? " (a checkpoint of an older version: start over with --force)" : ""));
            }
            int count = in.readInt();
            if (count < 0 || count > 10_000) {
                throw new CorruptCheckpointException(file, "a settings count", String.valueOf(count), null);
            }
            Map<String, String> settings = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                settings.put(in.readUTF(), in.readUTF());
            }
            long step = in.readLong();
            int epoch = in.readInt();
            int position = in.readInt();
            long seed = in.readLong();
            long adamSteps = in.readLong();
            double lastLoss = in.readDouble();
            double lastValidation = in.readDouble();
            Map<String, INDArray> p = readMap(in, counted, file);
            Map<String, INDArray> m = readMap(in, counted, file);
            Map<String, INDArray> v = readMap(in, counted, file);
            long want = crc.getValue();
            long got = new DataInputStream(raw).readLong();
            if (want != got) {
                throw new CorruptCheckpointException(file, "CRC " + Long.toHexString(want), Long.toHexString(got), null);
            }
            return new Checkpoint(settings, step, epoch, position, seed, adamSteps, lastLoss, lastValidation, p, m, v);
        } catch (EOFException e) {
            throw new CorruptCheckpointException(file, "more data", "end of file", e);
        } catch (CorruptCheckpointException | CheckpointMismatchException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new CorruptCheckpointException(file, "a readable checkpoint", String.valueOf(e.getMessage()), e);
        }
    }

    /** Counts the bytes read, so that declared sizes are checked against what the file still holds. */
    private static final class Counting extends java.io.FilterInputStream {
        private final long size;
        private long read;

        Counting(InputStream in, long size) {
            super(in);
            this.size = size;
        }

        long remaining() {
            return size - read;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            read += b >= 0 ? 1 : 0;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            read += Math.max(0, n);
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long k = super.skip(n);
            read += k;
            return k;
        }
    }

    private static Map<String, INDArray> readMap(DataInputStream in, Counting counted, Path file) throws IOException {
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
                if (shape[r] < 0 || shape[r] > Integer.MAX_VALUE) {
                    throw new CorruptCheckpointException(file, "tensor dimensions in 0.." + Integer.MAX_VALUE,
                            Arrays.toString(Arrays.copyOf(shape, r + 1)) + " for " + name, null);
                }
                len = len > Integer.MAX_VALUE ? len : len * shape[r];
            }
            long bytes = len * (dbl ? 8 : 4);
            // Declared sizes are checked against the file before anything is allocated: a crafted header
            // declaring billions of values is a corrupt file, not an OutOfMemoryError.
            if (len > Integer.MAX_VALUE - 8 || bytes > counted.remaining()) {
                throw new CorruptCheckpointException(file, "a tensor that fits in the file (" + counted.remaining()
                        + " bytes left)", Arrays.toString(shape) + " " + (dbl ? "doubles" : "floats") + " for " + name,
                        null);
            }
            byte[] data = new byte[(int) bytes];
            in.readFully(data);
            ByteBuffer bb = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
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
