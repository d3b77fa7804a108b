package org.sonarllm.bundle;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remembers which bundle files were hashed and found equal to their manifest's sha256, so that a bundle
 * is hashed once, not on every load. A file counts as verified while its real path, size, modification
 * time, status-change time (ctime: any write, and any {@code touch} that restores the modification time,
 * moves it; users cannot set it) and inode are those it had when it was hashed, for the same expected
 * hash. Records live in memory and in {@code ~/.cache/sonarllm/verified-files.tsv} (one line per file;
 * {@code -Dsonarllm.hashCache=off} keeps them in memory only, {@code -Dsonarllm.hashCache=PATH} puts the
 * file elsewhere). Where the platform gives no ctime or inode (not a Unix file system), nothing is
 * remembered across processes. Thread-safe.
 *
 * <pre>{@code
 * String h = VerifiedFiles.sha256(path, manifestEntry.sha256());   // hashes only if not verified before
 * }</pre>
 */
final class VerifiedFiles {
    private static final Logger LOG = LoggerFactory.getLogger(VerifiedFiles.class);
    private static final Map<String, String> MEMORY = new ConcurrentHashMap<>();
    /** Files actually hashed by this process (tests read it). */
    static final AtomicLong HASHED = new AtomicLong();
    private static volatile boolean loaded;

    private VerifiedFiles() {}

    /**
     * @param file a bundle file
     * @param expected the manifest's sha256 for it
     * @return {@code expected} when the file was verified before and has not changed since, else its freshly
     *     computed sha256 (remembered when it equals {@code expected})
     */
    static String sha256(Path file, String expected) {
        String key = key(file, expected);
        if (key != null) {
            load();
            if (MEMORY.containsKey(key)) {
                return expected;
            }
        }
        HASHED.incrementAndGet();
        String h = Bundle.sha256(file);
        if (key != null && h.equalsIgnoreCase(expected)) {
            // the file may have changed while it was read: remember it only if its identity still holds
            if (key.equals(key(file, expected)) && MEMORY.put(key, "") == null) {
                persist(key);
            }
        }
        return h;
    }

    /** Forgets the in-memory records (tests; the persisted ones are read again on the next call). */
    static void forgetInMemory() {
        MEMORY.clear();
        loaded = false;
    }

    private static String key(Path file, String expected) {
        try {
            Path real = file.toRealPath();
            BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
            Object ctime = Files.getAttribute(real, "unix:ctime");
            Object ino = Files.getAttribute(real, "unix:ino");
            if (a.fileKey() == null || ctime == null || ino == null) {
                return null;
            }
            String path = real.toString();
            if (path.indexOf('\t') >= 0 || path.indexOf('\n') >= 0) {
                return null;
            }
            return String.join("\t", expected.toLowerCase(java.util.Locale.ROOT), Long.toString(a.size()),
                    Long.toString(a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS)),
                    Long.toString(((java.nio.file.attribute.FileTime) ctime).to(java.util.concurrent.TimeUnit.NANOSECONDS)),
                    ino.toString(), path);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return null;
        }
    }

    private static Path store() {
        String p = System.getProperty("sonarllm.hashCache", "");
        if (p.equals("off")) {
            return null;
        }
        if (!p.isEmpty()) {
            return Path.of(p);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "sonarllm", "verified-files.tsv");
    }

    private static void load() {
        if (loaded) {
            return;
        }
        synchronized (VerifiedFiles.class) {
            if (loaded) {
                return;
            }
            Path f = store();
            if (f != null && Files.isRegularFile(f)) {
                try {
                    for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                        if (line.split("\t", -1).length == 6) {
                            MEMORY.put(line, "");
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.debug("cannot read the verified-files record {}: {}", f, e.getMessage());
                }
            }
            loaded = true;
        }
    }

    private static synchronized void persist(String key) {
        Path f = store();
        if (f == null) {
            return;
        }
        try {
            Files.createDirectories(f.getParent());
            List<String> lines = new ArrayList<>();
            if (Files.isRegularFile(f)) {
                lines.addAll(Files.readAllLines(f, StandardCharsets.UTF_8));
            }
            // one record per path (a newer verification replaces the old one); records of deleted files go
            String path = key.substring(key.lastIndexOf('\t') + 1);
            lines.removeIf(l -> l.endsWith("\t" + path) || !Files.exists(Path.of(l.substring(l.lastIndexOf('\t') + 1))));
            lines.add(key);
            Path tmp = f.resolveSibling(f.getFileName() + ".tmp" + ProcessHandle.current().pid());
            Files.write(tmp, lines, StandardCharsets.UTF_8);
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot record verified file in {}: {}", f, e.getMessage());
        }
    }
}
