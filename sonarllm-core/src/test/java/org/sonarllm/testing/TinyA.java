package org.sonarllm.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The tiny-a reference fixture (random-weight SONAR encoder, decoder, tokenizer and SONAR-LLM
 * concept model in the real public layouts, with expected outputs from an independent
 * implementation). Shipped in sonarllm-core's test-jar so every module's tests share one copy.
 *
 * <p>{@link #dir()} materialises the fixture as real files (once per JVM), since converters and
 * native libraries need paths, not class-path entries.
 */
public final class TinyA {
    private static final String BASE = "/org/sonarllm/testing/tiny-a/";
    private static final String[] FILES = {
        "README.md", "expected.json",
        "encoder/config.json", "encoder/model.safetensors",
        "decoder/config.json", "decoder/model.safetensors",
        "sonar_llm/config.json", "sonar_llm/model.safetensors",
        "tokenizer/languages.txt", "tokenizer/sentencepiece.bpe.model", "tokenizer/tokenizer_config.json",
    };
    private static Path dir;
    private static JsonNode expected;

    private TinyA() {}

    /** @return a directory holding the fixture files in their original layout */
    public static synchronized Path dir() {
        if (dir == null) {
            try {
                Path d = org.sonarllm.testing.TempDirs.create("tiny-a");
                for (String f : FILES) {
                    Path target = d.resolve(f);
                    Files.createDirectories(target.getParent());
                    try (InputStream in = TinyA.class.getResourceAsStream(BASE + f)) {
                        if (in == null) {
                            throw new IllegalStateException("missing test resource " + BASE + f);
                        }
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

    /** @return expected.json parsed */
    public static synchronized JsonNode expected() {
        if (expected == null) {
            try {
                expected = new ObjectMapper().readTree(dir().resolve("expected.json").toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return expected;
    }

    /** @param node a JSON array of numbers @return it as floats */
    public static float[] floats(JsonNode node) {
        float[] out = new float[node.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) node.get(i).asDouble();
        }
        return out;
    }

    /** @param node a JSON array of arrays of numbers @return it as a float matrix */
    public static float[][] floats2(JsonNode node) {
        float[][] out = new float[node.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = floats(node.get(i));
        }
        return out;
    }

    /** @param node a JSON array of integers @return it as ints */
    public static int[] ints(JsonNode node) {
        int[] out = new int[node.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = node.get(i).asInt();
        }
        return out;
    }

    /** @param node a JSON array of integers @return it as longs */
    public static long[] longs(JsonNode node) {
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = node.get(i).asLong();
        }
        return out;
    }

    /** @param node a JSON array of arrays of integers (e.g. a batch of token ids) @return it as a long matrix */
    public static long[][] longs2(JsonNode node) {
        long[][] out = new long[node.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = longs(node.get(i));
        }
        return out;
    }
}
