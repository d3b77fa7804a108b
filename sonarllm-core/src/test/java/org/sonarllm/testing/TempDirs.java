package org.sonarllm.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * Temporary directories for fixtures shared across the tests of one JVM (a converted tiny-a bundle, a
 * generated graph), removed with everything in them when the JVM exits; JUnit's {@code @TempDir} serves
 * single tests. Thread-safe.
 *
 * <pre>{@code
 * Path bundle = TempDirs.create("tiny-a-bundle").resolve("bundle");
 * }</pre>
 */
public final class TempDirs {
    private static final List<Path> CREATED = new CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> CREATED.forEach(TempDirs::deleteTree), "temp-dirs"));
    }

    private TempDirs() {}

    /**
     * @param prefix the directory name's prefix
     * @return a new empty directory under {@code java.io.tmpdir}, deleted at JVM exit
     */
    public static Path create(String prefix) {
        try {
            Path d = Files.createTempDirectory(prefix);
            CREATED.add(d);
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort at exit
        }
    }
}
