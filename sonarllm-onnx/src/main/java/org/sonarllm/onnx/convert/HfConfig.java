package org.sonarllm.onnx.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.sonarllm.ModelFormatException;

/**
 * A Hugging Face {@code config.json} with typed getters. Missing or mistyped required keys fail with
 * a {@link ModelFormatException} naming the file and key ("expected integer 'd_model', found ...").
 * Immutable and thread-safe.
 *
 * <pre>{@code
 * HfConfig c = HfConfig.read(Path.of("encoder/config.json"));
 * int d = c.requireInt("d_model");
 * double eps = c.optDouble("layer_norm_eps", 1e-5);
 * }</pre>
 */
public final class HfConfig {
    private final Path file;
    private final JsonNode root;

    private HfConfig(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    /**
     * @param file a config.json
     * @return the parsed config
     * @throws ModelFormatException if missing or not a JSON object
     */
    public static HfConfig read(Path file) {
        try {
            JsonNode n = new ObjectMapper().readTree(Files.readAllBytes(file));
            if (n == null || !n.isObject()) {
                throw new ModelFormatException(file + ": expected a JSON object, found "
                        + (n == null ? "nothing" : n.getNodeType()));
            }
            return new HfConfig(file, n);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file + ": file not found");
        } catch (IOException e) {
            throw new ModelFormatException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * @param name a label used in messages @param json a JSON object
     * @return the config
     */
    public static HfConfig of(String name, JsonNode json) {
        if (json == null || !json.isObject()) {
            throw new ModelFormatException(name + ": expected a JSON object");
        }
        return new HfConfig(Path.of(name), json);
    }

    /** @return the file it was read from */
    public Path file() {
        return file;
    }

    /** @return the raw JSON */
    public JsonNode json() {
        return root;
    }

    /** @param key a key @return whether present and not null */
    public boolean has(String key) {
        JsonNode n = root.get(key);
        return n != null && !n.isNull();
    }

    /** @param key a key @return its integer value @throws ModelFormatException if absent or not an integer */
    public int requireInt(String key) {
        JsonNode n = root.get(key);
        if (n == null || !n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new ModelFormatException(file + ": expected integer '" + key + "', found " + describe(n));
        }
        return n.intValue();
    }

    /** @param key a key @param def default @return its integer value or the default when absent */
    public int optInt(String key, int def) {
        return has(key) ? requireInt(key) : def;
    }

    /** @param key a key @return its numeric value @throws ModelFormatException if absent or not a number */
    public double requireDouble(String key) {
        JsonNode n = root.get(key);
        if (n == null || !n.isNumber()) {
            throw new ModelFormatException(file + ": expected number '" + key + "', found " + describe(n));
        }
        return n.doubleValue();
    }

    /** @param key a key @param def default @return its numeric value or the default when absent */
    public double optDouble(String key, double def) {
        return has(key) ? requireDouble(key) : def;
    }

    /** @param key a key @return its string value @throws ModelFormatException if absent or not a string */
    public String requireString(String key) {
        JsonNode n = root.get(key);
        if (n == null || !n.isTextual()) {
            throw new ModelFormatException(file + ": expected string '" + key + "', found " + describe(n));
        }
        return n.textValue();
    }

    /** @param key a key @param def default @return its string value or the default when absent */
    public String optString(String key, String def) {
        return has(key) ? requireString(key) : def;
    }

    /** @param key a key @param def default @return its boolean value or the default when absent */
    public boolean optBoolean(String key, boolean def) {
        if (!has(key)) {
            return def;
        }
        JsonNode n = root.get(key);
        if (!n.isBoolean()) {
            throw new ModelFormatException(file + ": expected boolean '" + key + "', found " + describe(n));
        }
        return n.booleanValue();
    }

    /** @param key a key @return the nested object @throws ModelFormatException if absent or not an object */
    public HfConfig requireObject(String key) {
        JsonNode n = root.get(key);
        if (n == null || !n.isObject()) {
            throw new ModelFormatException(file + ": expected object '" + key + "', found " + describe(n));
        }
        return new HfConfig(file, n);
    }

    private static String describe(JsonNode n) {
        return n == null ? "nothing" : n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT) + " " + n;
    }
}
