package org.sonarllm.training;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sonarllm.InvalidInputException;
import org.sonarllm.bundle.BundleWriter;

/**
 * A training run's work directory, held for the run: an exclusive lock ({@link FileChannel#tryLock} on
 * {@value #LOCK} in the directory, released when the run ends or its process dies, so a lock file left by a
 * dead process never blocks), and the start rule: a directory that holds a run ({@value TrainingLoop#CHECKPOINT}
 * or {@code metrics.csv}) is continued only with {@code resume}, started over only with {@code force}
 * (which removes the run's files; the embedding cache is kept), and refused otherwise.
 *
 * <pre>{@code
 * try (RunDirectory run = RunDirectory.open(Path.of("out.work"), resume, force)) {
 *     ... train, export ...
 * }
 * }</pre>
 *
 * <p>Thread-safe. The lock is re-entrant for the thread holding it (the one loop inside a whole training
 * call takes it again); any other thread or process fails at once with {@link RunLockedException}.
 */
public final class RunDirectory implements AutoCloseable {
    /** Lock file name in the work directory. */
    public static final String LOCK = ".lock";
    /** Files of a run that {@code force} removes. */
    static final List<String> RUN_FILES = List.of(TrainingLoop.CHECKPOINT, TrainingLoop.BEST, "metrics.csv", "validation.csv", "loss.png",
            "export.done");

    private static final Map<Path, Held> HELD = new HashMap<>();

    private final Path dir;
    private boolean closed;

    private record Held(Thread owner, FileChannel channel, FileLock lock, int count) {}

    private RunDirectory(Path dir) {
        this.dir = dir;
    }

    /**
     * Locks {@code dir} (created when missing) and applies the start rule.
     *
     * @param dir the work directory
     * @param resume continue the run the directory holds
     * @param force start over: remove the run's files
     * @return the held directory; close it when the run ends
     * @throws RunLockedException if another run holds the directory
     * @throws InvalidInputException if the directory holds a run and neither {@code resume} nor {@code force} is set
     */
    public static RunDirectory open(Path dir, boolean resume, boolean force) {
        RunDirectory r = lock(dir);
        try {
            if (!resume) {
                checkFresh(dir, force);
            }
            return r;
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    /**
     * @param dir a work directory
     * @return whether it holds a run (a checkpoint or metrics)
     */
    public static boolean holdsRun(Path dir) {
        return Files.exists(dir.resolve(TrainingLoop.CHECKPOINT)) || Files.exists(dir.resolve("metrics.csv"));
    }

    private static void checkFresh(Path dir, boolean force) {
        if (!holdsRun(dir)) {
            return;
        }
        if (!force) {
            throw new InvalidInputException("expected a work directory without a run, found a run in " + dir
                    + ": continue it with --resume (resume(true)) or start over with --force (force(true))");
        }
        for (String f : RUN_FILES) {
            Path p = dir.resolve(f);
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                throw new org.sonarllm.SonarLlmException("cannot remove " + p + ": " + e.getMessage(), e);
            }
        }
    }

    private static RunDirectory lock(Path dir) {
        Path key = dir.toAbsolutePath().normalize();
        synchronized (HELD) {
            Held h = HELD.get(key);
            if (h != null) {
                if (h.owner() != Thread.currentThread()) {
                    throw new RunLockedException(dir, "thread " + h.owner().getName() + " of this process");
                }
                HELD.put(key, new Held(h.owner(), h.channel(), h.lock(), h.count() + 1));
                return new RunDirectory(key);
            }
            Path file = key.resolve(LOCK);
            FileChannel ch = null;
            try {
                Files.createDirectories(key);
                ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock lock = ch.tryLock();
                if (lock == null) {
                    String holder = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
                    ch.close();
                    throw new RunLockedException(dir, holder.isEmpty() ? "another process" : "process " + holder);
                }
                ch.truncate(0);
                ch.write(ByteBuffer.wrap(String.valueOf(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)), 0);
                HELD.put(key, new Held(Thread.currentThread(), ch, lock, 1));
                return new RunDirectory(key);
            } catch (IOException e) {
                if (ch != null) {
                    try {
                        ch.close();
                    } catch (IOException ignored) {
                        // already failing
                    }
                }
                throw BundleWriter.writeFailure(file, e);
            }
        }
    }

    /** Releases the lock (once; idempotent). */
    @Override
    public void close() {
        synchronized (HELD) {
            if (closed) {
                return;
            }
            closed = true;
            Held h = HELD.get(dir);
            if (h == null) {
                return;
            }
            if (h.count() > 1) {
                HELD.put(dir, new Held(h.owner(), h.channel(), h.lock(), h.count() - 1));
                return;
            }
            HELD.remove(dir);
            try {
                h.lock().release();
                h.channel().close();
            } catch (IOException e) {
                // the channel is gone with the lock
            }
        }
    }
}
