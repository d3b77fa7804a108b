package org.sonarllm.onnx.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The tiny-a checkpoints as a bundle of format 1 (weights inside each graph), written by the format-1
 * converter and kept as a test resource (see its README): tests prove old bundles keep loading. Shipped in
 * sonarllm-onnx's test-jar; {@link #dir()} materialises it as files once per JVM. Treat it as read-only.
 *
 * <pre>{@code
 * try (SonarLlm llm = SonarLlm.load(TinyAFormat1.dir())) { ... }
 * }</pre>
 */
public final class TinyAFormat1 {
    private static final String BASE = "/org/sonarllm/onnx/testing/tiny-a-format1/";
    private static Path dir;

    private TinyAFormat1() {}

    /** @return the bundle directory */
    public static synchronized Path dir() {
        if (dir == null) {
            try {
                Path d = org.sonarllm.testing.TempDirs.create("tiny-a-format1").resolve("bundle");
                List<String> files = new ArrayList<>(List.of("manifest.json"));
                try (InputStream in = resource("manifest.json")) {
                    JsonNode m = new ObjectMapper().readTree(in);
                    m.get("components").forEach(c -> c.get("files").forEach(f -> files.add(f.get("path").asText())));
                }
                for (String f : files) {
                    Path target = d.resolve(f);
                    Files.createDirectories(target.getParent());
                    try (InputStream in = resource(f)) {
                        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                dir = d;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dir;
    }

    private static InputStream resource(String f) {
        InputStream in = TinyAFormat1.class.getResourceAsStream(BASE + f);
        if (in == null) {
            throw new IllegalStateException("missing test resource " + BASE + f);
        }
        return in;
    }
}
