package org.sonarllm.onnx.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.ModelFormatException;
import org.sonarllm.testing.TinyA;

/** One side of an M2M100 checkpoint: its shape comes from config.json through SonarConfig.fromHf. */
class M2M100WeightsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void eachSideReadsItsOwnFieldsOfTheConfig() throws Exception {
        for (M2M100Weights.Side side : M2M100Weights.Side.values()) {
            String s = side == M2M100Weights.Side.ENCODER ? "encoder" : "decoder";
            Path dir = TinyA.dir().resolve(s);
            JsonNode c = JSON.readTree(dir.resolve("config.json").toFile());
            try (M2M100Weights w = M2M100Weights.open(dir, side)) {
                assertEquals(c.get("d_model").intValue(), w.dModel());
                assertEquals(c.get(s + "_layers").intValue(), w.layers());
                assertEquals(c.get(s + "_attention_heads").intValue(), w.heads());
                assertEquals(c.get(s + "_ffn_dim").intValue(), w.ffn());
                assertEquals(c.get("vocab_size").intValue(), w.vocab());
                assertEquals(c.get("max_position_embeddings").intValue(), w.maxPositions());
                assertEquals(c.get("pad_token_id").intValue(), w.padId());
                assertEquals((float) Math.sqrt(c.get("d_model").intValue()), w.embedScale());
                assertEquals(w.shape().model(), w.dModel());
            }
        }
    }

    /** A copy of tiny-a's encoder with an edited config. */
    private Path encoderWith(java.util.function.Consumer<ObjectNode> edit) throws Exception {
        Path src = TinyA.dir().resolve("encoder");
        Path dir = Files.createDirectories(Files.createTempDirectory(tmp, "enc"));
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        ObjectNode c = (ObjectNode) JSON.readTree(src.resolve("config.json").toFile());
        edit.accept(c);
        Files.writeString(dir.resolve("config.json"), c.toString());
        return dir;
    }

    private static String failure(Path dir) {
        return assertThrows(ModelFormatException.class, () -> M2M100Weights.open(dir, M2M100Weights.Side.ENCODER))
                .getMessage();
    }

    @Test
    void scaleEmbeddingIsABooleanDefaultingToTrue() throws Exception {
        try (M2M100Weights w = M2M100Weights.open(encoderWith(c -> c.put("scale_embedding", false)),
                M2M100Weights.Side.ENCODER)) {
            assertEquals(1f, w.embedScale());
        }
        try (M2M100Weights w = M2M100Weights.open(encoderWith(c -> c.remove("scale_embedding")),
                M2M100Weights.Side.ENCODER)) {
            assertEquals(8f, w.embedScale());
        }
        Path dir = encoderWith(c -> c.put("scale_embedding", "yes"));
        assertEquals(dir.resolve("config.json") + ": expected boolean 'scale_embedding', found \"yes\"", failure(dir));
    }

    @Test
    void badConfigsAreModelFormatErrorsNamingTheFile() throws Exception {
        Path dir = encoderWith(c -> c.remove("d_model"));
        assertEquals(dir.resolve("config.json") + ": expected integer 'd_model', found nothing", failure(dir));
        dir = encoderWith(c -> c.put("activation_function", "gelu"));
        assertEquals(dir.resolve("config.json") + ": expected activation_function 'relu', found \"gelu\"", failure(dir));
        dir = encoderWith(c -> c.put("encoder_layers", 1));
        assertTrue(failure(dir).endsWith(": expected 1 layers as config says, found more (layers.1.*)"), failure(dir));
        dir = encoderWith(c -> { });
        Files.writeString(dir.resolve("config.json"), "{oops");
        assertTrue(failure(dir).startsWith(dir.resolve("config.json") + ": expected a JSON config, found unreadable"),
                failure(dir));
        Files.writeString(dir.resolve("config.json"), "[1]");
        assertEquals(dir.resolve("config.json") + ": expected a JSON object, found ARRAY", failure(dir));
    }
}
