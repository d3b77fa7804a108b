package org.sonarllm.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10's "done when": a consumer project depending on sonarllm-onnx + sonarllm-default-model runs
 * {@code SonarModels.loadDefault()} with at most 30 jars and no ND4J, in a JVM whose class path is
 * exactly the project's run-time class path.
 */
class ConsumerProjectTest {
    static final String PROMPT = "It is a truth universally acknowledged, that a single man in possession of a good "
            + "fortune, must be in want of a wife.";
    /** Jars a consumer must never get: training (ND4J and its natives), the CLI, a logging binding. */
    private static final List<String> FORBIDDEN = List.of("nd4j", "javacpp", "openblas", "mkl", "picocli",
            "slf4j-simple", "sonarllm-training", "sonarllm-cli");

    @TempDir
    Path work;

    @Test
    void theRuntimeClassPathIsAtMost30EntriesWithoutNd4jCliOrLoggingBinding() throws IOException {
        List<Path> deps = ConsumerJvm.dependencies();
        long bytes = 0;
        StringBuilder report = new StringBuilder();
        for (Path p : deps) {
            long size = size(p);
            bytes += size;
            report.append(String.format(Locale.ROOT, "%10d %s%n", size, p.getFileName()));
            String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
            for (String f : FORBIDDEN) {
                assertTrue(!name.contains(f), "forbidden entry on the consumer class path: " + p);
            }
        }
        report.append(String.format(Locale.ROOT, "%d entries, %.1f MB%n", deps.size(), bytes / 1e6));
        Files.writeString(Path.of(System.getProperty("it.classpath.file") + ".report"), report);
        assertTrue(deps.size() <= 30, deps.size() + " class path entries:\n" + report);
        for (String needed : List.of("sonarllm-core", "sonarllm-onnx", "sonarllm-default-model", "onnxruntime")) {
            assertTrue(deps.stream().anyMatch(p -> p.toString().contains(needed)), needed + " missing:\n" + report);
        }
        // our modules come from this reactor build, never from a stale snapshot in the local repository
        Path root = Path.of(System.getProperty("it.classes")).toAbsolutePath().getParent().getParent().getParent();
        deps.stream().filter(p -> p.getFileName().toString().startsWith("sonarllm-"))
                .forEach(p -> assertTrue(p.toAbsolutePath().startsWith(root), p + " is not from this build (" + root
                        + "): run through the reactor, e.g. mvn verify -pl sonarllm-it -am"));
    }

    private static long size(Path p) throws IOException {
        if (Files.isDirectory(p)) { // a reactor module not packaged yet (mvn test): its classes directory
            try (Stream<Path> s = Files.walk(p)) {
                return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
            }
        }
        return Files.size(p);
    }

    @Test
    void loadDefaultGeneratesTwoSentencesInAJvmWithExactlyThatClassPath() throws Exception {
        ConsumerJvm.Run r = ConsumerJvm.run(ConsumerJvm.classPath(), true, work, "2", PROMPT);
        assertEquals(0, r.exit(), "exit code; stderr:\n" + r.err());
        assertEquals(List.of("onnx"), r.lines("provider: "), r.out().toString());
        List<String> sentences = r.lines("sentence: ");
        assertEquals(2, sentences.size(), r.out().toString());
        for (String s : sentences) {
            assertTrue(s.matches(".*[A-Za-z]{2,}.*"), "not English-like text: " + s);
        }
        assertEquals(List.of("max_sentences"), r.lines("stop: "));
        // the embedded bundle was extracted under the child's user.home, not the real one
        assertTrue(Files.isDirectory(work.resolve("home/.cache/sonarllm"))
                || ConsumerJvm.dependencies().stream().anyMatch(p -> p.toString().contains("sonarllm-default-model")
                        && Files.isDirectory(p)), "default bundle location");
    }
}
