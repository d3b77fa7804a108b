package org.sonarllm.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.sonarllm.ModelFormatException;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.onnx.convert.ConceptLmConverter;
import org.sonarllm.onnx.convert.SonarConverter;

/**
 * The stand-in default model until a trained one ships: the tiny-a RANDOM-WEIGHT test checkpoints
 * (packaged in this jar under {@value #RESOURCE}) converted on first use into {@code
 * ~/.cache/sonarllm/tiny-a-bundle} (override the cache root with the system property {@code sonarllm.cache} or
 * the environment variable {@code SONARLLM_CACHE}). Its output is
 * meaningless text; callers must say so.
 */
final class TinyAFallback {
    static final String RESOURCE = "org/sonarllm/cli/tiny-a/";
    static final String WARNING = "warning: no --model given, SONARLLM_MODEL unset and no trained default model exists"
            + " yet: using the tiny-a RANDOM-WEIGHT TEST model (its sentences are meaningless)";
    private static final List<String> FILES = List.of(
            "encoder/config.json", "encoder/model.safetensors", "decoder/config.json", "decoder/model.safetensors",
            "sonar_llm/config.json", "sonar_llm/model.safetensors", "tokenizer/languages.txt",
            "tokenizer/sentencepiece.bpe.model", "tokenizer/tokenizer_config.json");

    private TinyAFallback() {}

    static synchronized Path bundle() {
        String root = System.getProperty("sonarllm.cache", System.getenv("SONARLLM_CACHE"));
        Path cache = root != null && !root.isBlank() ? Path.of(root)
                : Path.of(System.getProperty("user.home"), ".cache", "sonarllm");
        Path bundle = cache.resolve("tiny-a-bundle");
        if (Files.isRegularFile(bundle.resolve(BundleManifest.MANIFEST_FILE))) {
            return bundle;
        }
        try {
            Files.createDirectories(cache);
            Path work = Files.createTempDirectory(cache, "tiny-a-");
            Path src = work.resolve("src");
            for (String f : FILES) {
                try (InputStream in = TinyAFallback.class.getClassLoader().getResourceAsStream(RESOURCE + f)) {
                    if (in == null) {
                        throw new ModelFormatException("the tiny-a fallback model is not packaged (missing " + RESOURCE + f
                                + "); pass --model BUNDLE");
                    }
                    Files.createDirectories(src.resolve(f).getParent());
                    Files.copy(in, src.resolve(f));
                }
            }
            Path out = work.resolve("bundle");
            SonarConverter.convert(src.resolve("encoder"), src.resolve("decoder"), src.resolve("tokenizer"), out,
                    Map.of(BundleManifest.CONCEPT_LM, ConceptLmConverter.componentWriter(src.resolve("sonar_llm"), 0)));
            try {
                Files.move(out, bundle, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (!Files.isRegularFile(bundle.resolve(BundleManifest.MANIFEST_FILE))) {
                    throw e;
                }
            }
            deleteTree(work);
            return bundle;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the tiny-a fallback model in " + cache + ": " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
