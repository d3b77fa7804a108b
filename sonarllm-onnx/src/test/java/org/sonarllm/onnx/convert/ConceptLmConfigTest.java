package org.sonarllm.onnx.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.sonarllm.ModelFormatException;
import org.sonarllm.testing.TinyA;

class ConceptLmConfigTest {
    private static final ObjectMapper M = new ObjectMapper();

    @Test
    void readsTinyAAndReproducesTheLlama3RopeTable() {
        ConceptLmConfig c = ConceptLmConfig.read(TinyA.dir().resolve("sonar_llm/config.json"));
        JsonNode dims = TinyA.expected().get("dims");
        assertEquals(dims.get("sonar_dim").asInt(), c.sonarDim());
        assertEquals(dims.get("llm_hidden").asInt(), c.hidden());
        assertEquals(dims.get("llm_layers").asInt(), c.layers());
        assertEquals(dims.get("llm_heads").asInt(), c.heads());
        assertEquals(dims.get("llm_head_dim").asInt(), c.headDim());
        assertEquals(dims.get("llm_intermediate").asInt(), c.intermediate());
        assertEquals("llama3", c.rope().type());
        double[] expected = toDoubles(TinyA.expected().get("f_concept_lm").get("rope_inv_freq"));
        double[] got = c.ropeInvFreq();
        assertEquals(expected.length, got.length);
        for (int i = 0; i < got.length; i++) {
            // stored as float32: compare relative to float32 resolution
            assertEquals(expected[i], got[i], Math.abs(expected[i]) * 1e-6, "inv_freq " + i);
        }
    }

    @Test
    void nestedRepositoryLayoutAndGroupedQueryAttention() throws Exception {
        ObjectNode flat = (ObjectNode) M.readTree(TinyA.dir().resolve("sonar_llm/config.json").toFile());
        int sonar = flat.remove("sonar_dim").asInt();
        flat.put("num_key_value_heads", 2);
        ObjectNode nested = M.createObjectNode();
        nested.set("llama_config", flat);
        nested.put("embed_dim", sonar);
        ConceptLmConfig c = ConceptLmConfig.parse(nested);
        assertEquals(sonar, c.sonarDim());
        assertEquals(2, c.kvHeads());
        assertEquals(4, c.heads());
    }

    @Test
    void headDimDefaultsToHiddenOverHeadsAndNoScalingIsPlainRope() throws Exception {
        JsonNode n = M.readTree("{\"sonar_dim\":8,\"hidden_size\":16,\"num_hidden_layers\":1,"
                + "\"num_attention_heads\":2,\"intermediate_size\":32,\"rope_theta\":10000}");
        ConceptLmConfig c = ConceptLmConfig.parse(n);
        assertEquals(8, c.headDim());
        assertEquals(2, c.kvHeads());
        double[] f = c.ropeInvFreq();
        assertEquals(1.0, f[0]);
        assertEquals(Math.pow(10000, -0.25), f[1], 1e-15);
        assertEquals(Math.pow(10000, -0.75), f[3], 1e-15);
    }

    @Test
    void badConfigsAreModelFormatErrors() throws Exception {
        Path dir = Files.createTempDirectory("cfg");
        Path p = dir.resolve("config.json");
        Files.writeString(p, "{not json");
        assertThrows(ModelFormatException.class, () -> ConceptLmConfig.read(p));
        assertThrows(ModelFormatException.class, () -> ConceptLmConfig.read(dir.resolve("missing.json")));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ConceptLmConfig.parse(
                M.readTree("{\"hidden_size\":16,\"num_hidden_layers\":1,\"num_attention_heads\":2,\"intermediate_size\":3}")));
        assertTrue(e.getMessage().contains("sonar_dim"), e.getMessage());
        assertThrows(ModelFormatException.class, () -> ConceptLmConfig.parse(M.readTree(
                "{\"sonar_dim\":8,\"hidden_size\":16,\"num_hidden_layers\":1,\"num_attention_heads\":4,"
                        + "\"num_key_value_heads\":3,\"intermediate_size\":32}")));
        assertThrows(ModelFormatException.class, () -> ConceptLmConfig.parse(M.readTree(
                "{\"sonar_dim\":8,\"hidden_size\":16,\"num_hidden_layers\":1,\"num_attention_heads\":2,"
                        + "\"intermediate_size\":32,\"rope_scaling\":{\"rope_type\":\"yarn\",\"factor\":2}}")));
    }

    private static double[] toDoubles(JsonNode a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = a.get(i).asDouble();
        }
        return d;
    }
}
