package org.sonarllm.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.testing.TinyA;

/** The one SONAR config: Hugging Face read/write, validation, sinusoid frequencies. */
class SonarConfigTest {
    private static final ObjectMapper M = new ObjectMapper();

    @Test
    void readsTheTinyAConfigsAndWritesWhatItReads() throws Exception {
        JsonNode dims = TinyA.expected().get("dims");
        for (String side : new String[] {"encoder", "decoder"}) {
            JsonNode json = M.readTree(TinyA.dir().resolve(side + "/config.json").toFile());
            SonarConfig c = SonarConfig.fromHf(json, side);
            assertEquals(new SonarConfig(dims.get("sonar_dim").asInt(), dims.get("model_vocab_size").asInt(),
                    dims.get("encoder_layers").asInt(), dims.get("decoder_layers").asInt(), dims.get("heads").asInt(),
                    dims.get("heads").asInt(), dims.get("ffn").asInt(), dims.get("ffn").asInt(),
                    dims.get("max_position_embeddings").asInt()), c);
            assertEquals(c, SonarConfig.fromHf(M.valueToTree(c.toHf("M2M100Encoder")), "written"));
        }
    }

    @Test
    void badConfigsNameTheField() throws Exception {
        ObjectNode good = (ObjectNode) M.readTree(TinyA.dir().resolve("decoder/config.json").toFile());
        for (String[] c : new String[][] {{"d_model", "\"64\""}, {"vocab_size", "0"}, {"decoder_layers", "1e12"},
            {"activation_function", "\"gelu\""}, {"pad_token_id", "0"}, {"encoder_attention_heads", "7"},
            {"max_position_embeddings", "100000000"}}) {
            ObjectNode bad = good.deepCopy();
            bad.set(c[0], M.readTree(c[1]));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> SonarConfig.fromHf(bad, "cfg.json"),
                    c[0]);
            assertTrue(e.getMessage().startsWith("cfg.json: "), e.getMessage());
        }
        assertThrows(ModelFormatException.class, () -> SonarConfig.fromHf(M.readTree("[]"), "x"));
    }

    @Test
    void sinusoidFrequenciesAreM2M100s() {
        // d = 8: half = 4, f_j = 10000^(-j/3)
        double[] f = SonarConfig.sinusoidFrequencies(8);
        assertEquals(4, f.length);
        for (int j = 0; j < 4; j++) {
            assertEquals(Math.pow(10000, -j / 3.0), f[j], 1e-15);
        }
        assertThrows(InvalidInputException.class, () -> SonarConfig.sinusoidFrequencies(7));
    }

    @Test
    void withDecoderLayersChangesOnlyTheDecoderDepth() {
        SonarConfig c = new SonarConfig(64, 100, 2, 3, 4, 8, 128, 256, 32);
        assertEquals(new SonarConfig(64, 100, 2, 6, 4, 8, 128, 256, 32), c.withDecoderLayers(6));
        assertThrows(InvalidInputException.class, () -> c.withDecoderLayers(0));
    }

    @Test
    void headsMustDivideTheWidth() {
        assertThrows(InvalidInputException.class, () -> SonarConfig.symmetric(100, 64, 5, 128, 1, 1, 32));
        assertEquals(16, SonarConfig.symmetric(100, 64, 4, 128, 1, 1, 32).decoderHeadDim());
    }
}
