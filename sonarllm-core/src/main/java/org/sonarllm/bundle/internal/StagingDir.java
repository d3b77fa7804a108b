package org.sonarllm.bundle.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.InvalidInputException;
import org.sonarllm.SonarLlmException;
import org.sonarllm.bundle.BundleWriter;

/**
 * The temporary folder a bundle is built in, beside its final place: {@code .<name>.partial-<pid>-<start>}
 * (the process id and its start time in milliseconds). Renamed to the final name only when complete, so a
 * failed or killed conversion or training export never leaves a half bundle under that name. Folders of
 * runs that are no longer alive (no process with that id and start time) are removed when the next run
 * starts; folders of live runs are left alone. {@link #commitReplacing} replaces a complete bundle: the old
 * one is moved aside to {@code .<name>.replaced-<pid>-<start>} and removed after the new one is in place (a
 * kill in between leaves no bundle under the name, never a mix; the next run removes both folders). The one
 * mechanism of the converter ({@code SonarConverter}) and of training's export ({@code ConceptLMExport}).
 * Stateless and thread-safe for distinct output folders.
 *
 * <pre>{@code
 * StagingDir.checkTarget(out);
 * Path staging = StagingDir.create(out);
 * try {
 *     writeBundle(staging);
 *     StagingDir.commit(staging, out);
 * } catch (RuntimeException e) {
 *     StagingDir.discard(staging);
 *     throw e;
 * }
 * }</pre>
 */
public final class StagingDir {
    private static final Logger LOG = LoggerFactory.getLogger(StagingDir.class);

    private StagingDir() {}

    /**
     * Checks that {@code out} can be created: it must not exist, or be an empty folder.
     *
     * @param out the bundle folder to create
     * @throws InvalidInputException if it exists and is not an empty folder
     */
    public static void checkTarget(Path out) {
        if (!Files.exists(out)) {
            return;
        }
        if (!Files.isDirectory(out)) {
            throw new InvalidInputException("output " + out + " exists and is not a directory");
        }
        try (Stream<Path> s = Files.list(out)) {
            if (s.findAny().isPresent()) {
                throw new InvalidInputException("output directory " + out + " is not empty");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + out, e);
        }
    }

    /** @param out the final folder @return the folder its staging folders live in */
    public static Path parent(Path out) {
        Path abs = out.toAbsolutePath().normalize();
        return abs.getParent() == null ? abs : abs.getParent();
    }

    private static String prefix(Path out) {
        return prefix(out, PARTIAL);
    }

    private static final String PARTIAL = ".partial-";
    private static final String REPLACED = ".replaced-";

    private static String prefix(Path out, String kind) {
        return "." + out.toAbsolutePath().normalize().getFileName() + kind;
    }

    private static String suffix() {
        ProcessHandle self = ProcessHandle.current();
        return self.pid() + "-" + startMillis(self).orElse(0L);
    }

    /**
     * Removes the staging folders of dead runs for {@code out}, then creates this run's.
     *
     * @param out the final bundle folder
     * @return the new, empty staging folder
     */
    public static Path create(Path out) {
        Path parent = parent(out);
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw BundleWriter.writeFailure(parent, e);
        }
        for (String kind : new String[] {PARTIAL, REPLACED}) {
            String prefix = prefix(out, kind);
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, p -> p.getFileName().toString().startsWith(prefix))) {
                for (Path p : ds) {
                    if (!alive(p.getFileName().toString().substring(prefix.length()))) {
                        LOG.info("removing {} left by a run that did not finish", p);
                        delete(p);
                    }
                }
            } catch (IOException e) {
                throw new SonarLlmException("cannot list " + parent + ": " + e.getMessage(), e);
            }
        }
        Path dir = parent.resolve(prefix(out) + suffix());
        try {
            delete(dir);
            return Files.createDirectory(dir);
        } catch (IOException e) {
            throw BundleWriter.writeFailure(dir, e);
        }
    }

    private static Optional<Long> startMillis(ProcessHandle p) {
        return p.info().startInstant().map(java.time.Instant::toEpochMilli);
    }

    /** Whether the run that named a staging folder {@code <pid>-<start>} is still alive. */
    public static boolean alive(String suffix) {
        String[] parts = suffix.split("-", 2);
        try {
            long pid = Long.parseLong(parts[0]);
            long start = parts.length > 1 ? Long.parseLong(parts[1]) : 0;
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            if (h.isEmpty() || !h.get().isAlive()) {
                return false;
            }
            Optional<Long> s = startMillis(h.get());
            return start == 0 || s.isEmpty() || s.get() == start;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * Syncs every file of the staging folder and moves it to its final name.
     *
     * @param staging the complete staging folder
     * @param out the final folder (absent or an empty folder)
     */
    public static void commit(Path staging, Path out) {
        sync(staging);
        try {
            Files.deleteIfExists(out); // an empty folder; a non-empty one makes this fail
            move(staging, out);
        } catch (IOException e) {
            throw new SonarLlmException("cannot move the finished bundle " + staging + " to " + out + ": " + e, e);
        }
    }

    /**
     * Syncs every file of the staging folder and moves it to its final name, replacing what is there: an
     * existing {@code out} is first moved aside, then removed once the new bundle is in place.
     *
     * @param staging the complete staging folder
     * @param out the final folder (absent, empty, or a bundle to replace)
     */
    public static void commitReplacing(Path staging, Path out) {
        if (!Files.exists(out)) {
            commit(staging, out);
            return;
        }
        sync(staging);
        Path aside = parent(out).resolve(prefix(out, REPLACED) + suffix());
        try {
            delete(aside);
            move(out, aside);
            move(staging, out);
        } catch (IOException e) {
            throw new SonarLlmException("cannot move the finished bundle " + staging + " to " + out + ": " + e, e);
        }
        discard(aside);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private static void sync(Path staging) {
        try (Stream<Path> s = Files.walk(staging)) {
            for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
            }
        } catch (IOException e) {
            throw BundleWriter.writeFailure(staging, e);
        }
    }

    /** Deletes a staging folder and everything in it; failures are logged, not thrown. */
    public static void discard(Path staging) {
        try {
            delete(staging);
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("could not remove {}: {}", staging, e.getMessage());
        }
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
