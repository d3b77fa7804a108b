package org.sonarllm.onnx.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.onnx.convert.ConceptLmConverter;
import org.sonarllm.onnx.convert.SonarConverter;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import org.sonarllm.testing.TinyA;

/**
 * The tiny-a checkpoints converted into a model bundle with {@link SonarConverter}, once per JVM,
 * in a temporary directory. Shipped in sonarllm-onnx's test-jar so other modules' tests reuse it.
 * Treat the directory as read-only (copy it before modifying).
 *
 * <pre>{@code
 * try (SonarLlm llm = SonarLlm.load(TinyABundle.get())) { ... }
 * }</pre>
 */
public final class TinyABundle {
    private static Path bundle;
    private static Path withLm;

    private TinyABundle() {}

    /** @return the bundle directory (converted on first call) */
    public static synchronized Path get() {
        if (bundle == null) {
            Path out = org.sonarllm.testing.TempDirs.create("tiny-a-bundle").resolve("bundle");
            Path src = TinyA.dir();
            SonarConverter.convert(src.resolve("encoder"), src.resolve("decoder"), src.resolve("tokenizer"), out,
                    Map.of(), OnnxConceptEncoder::open);
            bundle = out;
        }
        return bundle;
    }

    /**
     * @return the tiny-a bundle with its concept LM ({@code sonar_llm}, the converter's default context
     *     limit) as the {@code concept_lm} component, converted on first call; read-only
     */
    public static synchronized Path withConceptLm() {
        if (withLm == null) {
            Path out = org.sonarllm.testing.TempDirs.create("tiny-a-bundle-lm").resolve("bundle");
            Path src = TinyA.dir();
            SonarConverter.convert(src.resolve("encoder"), src.resolve("decoder"), src.resolve("tokenizer"), out,
                    Map.of(BundleManifest.CONCEPT_LM, ConceptLmConverter.componentWriter(src.resolve("sonar_llm"), 0)),
                    OnnxConceptEncoder::open);
            withLm = out;
        }
        return withLm;
    }

    /**
     * Copies the bundle so a test can modify it.
     *
     * @param target a directory that does not exist yet
     * @return {@code target}
     */
    public static Path copyTo(Path target) {
        Path src = get();
        try (var s = Files.walk(src)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path t = target.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
