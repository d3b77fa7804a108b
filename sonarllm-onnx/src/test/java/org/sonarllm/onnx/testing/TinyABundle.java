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
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.onnx.weights.SafeTensorsWriter;
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
     * Writes one of tiny-a's checkpoints with every tensor stored as float16 ({@link SafeTensorsWriter#copyAsHalf}):
     * the reference model of a float16 bundle, read back widened by the converter.
     *
     * @param side {@code encoder} or {@code decoder}
     * @param target the checkpoint folder to create ({@code config.json}, {@code model.safetensors})
     * @return {@code target}
     */
    public static Path halfCheckpoint(String side, Path target) {
        Path src = TinyA.dir().resolve(side);
        try (SafeTensors st = SafeTensors.open(src.resolve("model.safetensors"))) {
            Files.createDirectories(target);
            Files.copy(src.resolve("config.json"), target.resolve("config.json"));
            SafeTensorsWriter w = new SafeTensorsWriter();
            st.names().forEach(n -> w.copyAsHalf(n, st, n));
            w.write(target.resolve("model.safetensors"));
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
