package org.sonarllm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.testing.TinyA;

/** The one concept-LM config: parsing (both layouts), validation, RoPE, parameter layout, presets. */
class ConceptLMConfigTest {
    private static final ObjectMapper M = new ObjectMapper();

    @Test
    void readsTinyAAndReproducesTheLlama3RopeTable() {
        ConceptLMConfig c = ConceptLMConfig.read(TinyA.dir().resolve("sonar_llm/config.json"));
        JsonNode dims = TinyA.expected().get("dims");
        assertEquals(dims.get("sonar_dim").asInt(), c.sonarDim());
        assertEquals(dims.get("llm_hidden").asInt(), c.hidden());
        assertEquals(dims.get("llm_layers").asInt(), c.layers());
        assertEquals(dims.get("llm_heads").asInt(), c.heads());
        assertEquals(dims.get("llm_head_dim").asInt(), c.headDim());
        assertEquals(dims.get("llm_intermediate").asInt(), c.intermediate());
        assertEquals(ConceptLMConfig.RopeType.LLAMA3, c.ropeScaling().type());
        double[] expected = toDoubles(TinyA.expected().get("f_concept_lm").get("rope_inv_freq"));
        double[] got = c.ropeInverseFrequencies();
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
        ConceptLMConfig c = ConceptLMConfig.parse(nested);
        assertEquals(sonar, c.sonarDim());
        assertEquals(2, c.kvHeads());
        assertEquals(4, c.heads());
        // without embed_dim (the authors' SonarLLM_*.json) the size comes from the caller (the weights)
        nested.remove("embed_dim");
        assertEquals(sonar, ConceptLMConfig.parse(nested, sonar).sonarDim());
        assertTrue(assertThrows(ModelFormatException.class, () -> ConceptLMConfig.parse(nested)).getMessage()
                .contains("sonar_dim"));
    }

    @Test
    void headDimDefaultsToHiddenOverHeadsAndNoScalingIsPlainRope() throws Exception {
        JsonNode n = M.readTree("{\"sonar_dim\":8,\"hidden_size\":16,\"num_hidden_layers\":1,"
                + "\"num_attention_heads\":2,\"intermediate_size\":32,\"rope_theta\":10000}");
        ConceptLMConfig c = ConceptLMConfig.parse(n);
        assertEquals(8, c.headDim());
        assertEquals(2, c.kvHeads());
        double[] f = c.ropeInverseFrequencies();
        assertEquals(1.0, f[0]);
        assertEquals(Math.pow(10000, -0.25), f[1], 1e-15);
        assertEquals(Math.pow(10000, -0.75), f[3], 1e-15);
    }

    @Test
    void linearScalingDividesEveryFrequency() throws Exception {
        ConceptLMConfig c = ConceptLMConfig.parse(M.readTree("{\"sonar_dim\":8,\"hidden_size\":16,"
                + "\"num_hidden_layers\":1,\"num_attention_heads\":2,\"intermediate_size\":32,\"rope_theta\":10000,"
                + "\"rope_scaling\":{\"type\":\"linear\",\"factor\":4}}"));
        assertEquals(Math.pow(10000, -0.25) / 4, c.ropeInverseFrequencies()[1], 1e-15);
    }

    @Test
    void jsonWriterRoundTrips() {
        ConceptLMConfig tiny = ConceptLMConfig.read(TinyA.dir().resolve("sonar_llm/config.json"));
        ConceptLMConfig gqaLinear = new ConceptLMConfig(16, 12, 2, 4, 2, 6, 20, 10000.0,
                ConceptLMConfig.RopeScaling.linear(2), 1e-5, 4096);
        ConceptLMConfig plain = new ConceptLMConfig(16, 12, 2, 4, 2, 6, 20, 10000.0,
                ConceptLMConfig.RopeScaling.NONE, 1e-5, 4096);
        for (ConceptLMConfig c : List.of(tiny, gqaLinear, plain, ConceptLMConfig.preset("600M"))) {
            assertEquals(c, ConceptLMConfig.parse(c.toJson()));
        }
    }

    @Test
    void badConfigsAreModelFormatErrorsNamingTheField() throws Exception {
        Path dir = org.sonarllm.testing.TempDirs.create("cfg");
        Path p = dir.resolve("config.json");
        Files.writeString(p, "{not json");
        assertThrows(ModelFormatException.class, () -> ConceptLMConfig.read(p));
        assertThrows(ModelFormatException.class, () -> ConceptLMConfig.read(dir.resolve("missing.json")));
        String base = "\"sonar_dim\":8,\"hidden_size\":16,\"num_hidden_layers\":1,\"num_attention_heads\":2,"
                + "\"intermediate_size\":32";
        Map<String, String> cases = Map.of(
                "{\"sonar_dim\":8,\"hidden_size\":16,\"num_hidden_layers\":1,\"num_attention_heads\":4,"
                        + "\"num_key_value_heads\":3,\"intermediate_size\":32}", "num_key_value_heads",
                "{" + base + ",\"rope_scaling\":{\"rope_type\":\"yarn\",\"factor\":2}}", "yarn",
                "{" + base + ",\"rope_theta\":\"big\"}", "rope_theta",
                "{" + base + ",\"rope_theta\":-1}", "rope_theta",
                "{" + base + ",\"rope_scaling\":{\"rope_type\":\"linear\",\"factor\":0}}", "factor",
                "{" + base + ",\"max_position_embeddings\":100000000}", "max_position_embeddings",
                "{" + base.replace("\"hidden_size\":16", "\"hidden_size\":100000000") + "}", "hidden_size",
                "{" + base + ",\"rms_norm_eps\":0}", "rms_norm_eps",
                "{" + base + ",\"hidden_act\":\"gelu\"}", "hidden_act",
                "{" + base + ",\"attention_bias\":true}", "attention_bias");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> ConceptLMConfig.parse(M.readTree(c.getKey())),
                    c.getKey());
            assertTrue(e.getMessage().contains(c.getValue()), c.getValue() + " not in: " + e.getMessage());
        }
    }

    @Test
    void constructorRangesAreInvalidInput() {
        assertThrows(InvalidInputException.class, () -> ConceptLMConfig.llama(0, 8, 1, 2, 2, 4, 8));
        assertThrows(InvalidInputException.class, () -> ConceptLMConfig.llama(8, 8, 1, 2, 2, 3, 8));
        assertThrows(InvalidInputException.class, () -> ConceptLMConfig.llama(8, 100_000, 100_000, 2, 2, 4, 8));
        assertThrows(InvalidInputException.class, () -> new ConceptLMConfig(8, 8, 1, 2, 2, 4, 8, Double.NaN,
                ConceptLMConfig.RopeScaling.NONE, 1e-6, 64));
        assertThrows(InvalidInputException.class, () -> ConceptLMConfig.RopeScaling.llama3(8, 4, 1, 16));
    }

    @Test
    void parameterLayoutEqualsTheTinyACheckpointWithoutTheUnusedTokenTables() throws IOException {
        ConceptLMConfig cfg = ConceptLMConfig.read(TinyA.dir().resolve("sonar_llm/config.json"));
        Map<String, long[]> file = safetensorsShapes(TinyA.dir().resolve("sonar_llm/model.safetensors"));
        file.keySet().removeIf(k -> k.endsWith("embed_tokens.weight") || k.endsWith("lm_head.weight"));
        Map<String, long[]> want = cfg.parameterShapes();
        assertEquals(file.keySet(), want.keySet());
        long n = 0;
        for (Map.Entry<String, long[]> e : file.entrySet()) {
            assertArrayEquals(e.getValue(), want.get(e.getKey()), e.getKey());
            long k = 1;
            for (long d : e.getValue()) {
                k *= d;
            }
            n += k;
        }
        assertEquals(n, cfg.parameterCount());
        // A hand count for a shape where every term differs (GQA, heads x head_dim != hidden): per block
        // q 12*24 + k 12*12 + v 12*12 + o 24*12 + mlp 3*12*20 + norms 2*12 = 1608; 2 blocks + final norm 12
        // + forward_proj 16*12+12 + reverse_proj 12*16+16 = 3640.
        assertEquals(3640, new ConceptLMConfig(16, 12, 2, 4, 2, 6, 20, 10000.0, ConceptLMConfig.RopeScaling.NONE,
                1e-6, 64).parameterCount());
    }

    /** Names and shapes from a safetensors header, parsed here independently of the SDK's reader. */
    private static Map<String, long[]> safetensorsShapes(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        long len = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode h = M.readTree(new String(all, 8, (int) len, java.nio.charset.StandardCharsets.UTF_8));
        Map<String, long[]> out = new java.util.TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals("__metadata__")) {
                JsonNode s = e.getValue().get("shape");
                long[] shape = new long[s.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = s.get(i).asLong();
                }
                out.put(e.getKey(), shape);
            }
        }
        return out;
    }

    @Test
    void presetsEqualTheAuthorsConfigFiles() throws IOException {
        assertEquals(List.of("100M", "300M", "600M", "900M"), ConceptLMConfig.presetNames());
        for (String name : ConceptLMConfig.presetNames()) {
            try (InputStream in = getClass().getResourceAsStream("/sonar-llm-paper-configs/SonarLLM_" + name + ".json")) {
                assertNotNull(in, name);
                // the files have no embed_dim: 1024 is the authors' generate.py default
                assertEquals(ConceptLMConfig.parse(M.readTree(in), 1024), ConceptLMConfig.preset(name), name);
            }
        }
    }

    @Test
    void presetSizesMatchThePapersLabels() {
        // Exact counts of the parameter arrays, computed by hand from the shapes (see docs/training.md).
        Map<String, Long> graph = Map.of("100M", 34_613_248L, "300M", 169_892_864L, "600M", 453_553_664L,
                "900M", 698_407_936L);
        for (String name : ConceptLMConfig.presetNames()) {
            ConceptLMConfig c = ConceptLMConfig.preset(name);
            assertEquals(graph.get(name), c.parameterCount(), name);
            double nominal = Long.parseLong(name.substring(0, name.length() - 1)) * 1e6;
            // The paper's labels count the authors' LlamaForCausalLM, including its (unused) Llama 3
            // token-embedding table: within 3% of the label with it, more than 20% below it without.
            double withTable = c.paperParameterCount();
            assertEquals(c.parameterCount() + 128_256L * c.hidden(), c.paperParameterCount(), name);
            assertTrue(Math.abs(withTable - nominal) <= 0.03 * nominal, name + ": " + withTable);
            assertTrue(c.parameterCount() < 0.8 * nominal, name + ": " + c.parameterCount());
        }
    }

    @Test
    void presetNamesAreCaseInsensitive() {
        assertEquals(ConceptLMConfig.preset("600M"), ConceptLMConfig.preset(" 600m "));
        ConceptLMConfig c = ConceptLMConfig.preset("900m");
        assertEquals(1024, c.sonarDim());
        assertEquals(c.heads(), c.kvHeads());
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(ConceptLMConfig.RopeScaling.llama3(32, 1, 4, 8192), c.ropeScaling());
    }

    @Test
    void unknownPresetListsTheKnownNames() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ConceptLMConfig.preset("1.3B"));
        assertEquals("expected a concept LM preset among [100M, 300M, 600M, 900M], found 1.3B", e.getMessage());
        assertThrows(InvalidInputException.class, () -> ConceptLMConfig.preset(null));
    }

    private static double[] toDoubles(JsonNode a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = a.get(i).asDouble();
        }
        return d;
    }
}
