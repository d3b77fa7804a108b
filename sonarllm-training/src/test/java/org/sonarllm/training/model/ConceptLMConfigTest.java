package org.sonarllm.training.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.sonarllm.InvalidInputException;
import org.sonarllm.testing.TinyA;
import org.sonarllm.training.internal.SafeTensorsFile;

/** Parameter counts and the paper's size presets. */
class ConceptLMConfigTest {

    /** Shape with GQA and heads x head_dim != hidden, so every term of the count is distinct. */
    private static final ConceptLMConfig ODD = new ConceptLMConfig(16, 12, 2, 4, 2, 6, 20, 10000.0, null, 1e-6);

    @Test
    void parameterCountEqualsTheVariablesTheGraphCreates() {
        // Hand count: per block q 12*24 + k 12*12 + v 12*12 + o 24*12 + mlp 3*12*20 + norms 2*12 = 1608;
        // 2 blocks + final norm 12 + forward_proj 16*12+12 + reverse_proj 12*16+16 = 3640.
        assertEquals(3640, ODD.parameterCount());
        ConceptLMGraph lm = ConceptLMGraph.build(SameDiff.create(), ODD, DataType.FLOAT,
                ConceptLMWeights.random(ODD, 7, 0.02, DataType.FLOAT));
        long trainable = 0;
        int vars = 0;
        for (SDVariable v : lm.sameDiff().variables()) {
            if (v.getVariableType() == VariableType.VARIABLE) {
                trainable += v.getArr().length();
                vars++;
            }
        }
        assertEquals(4 + 9 * ODD.layers() + 1, vars);
        assertEquals(ODD.parameterCount(), trainable);
    }

    @Test
    void parameterCountEqualsTheTinyACheckpointWithoutTheUnusedTokenTables() {
        ConceptLMConfig cfg = ConceptLMConfig.fromHfConfig(TinyA.dir().resolve("sonar_llm/config.json"));
        long n = 0;
        for (Map.Entry<String, SafeTensorsFile.Tensor> e : SafeTensorsFile.read(TinyA.dir().resolve("sonar_llm/model.safetensors")).entrySet()) {
            if (!e.getKey().endsWith("embed_tokens.weight") && !e.getKey().endsWith("lm_head.weight")) {
                n += e.getValue().data().length;
            }
        }
        assertEquals(n, cfg.parameterCount());
    }

    @Test
    void presetsEqualTheAuthorsConfigFiles() throws IOException {
        assertEquals(List.of("100M", "300M", "600M", "900M"), ConceptLMConfig.presetNames());
        ObjectMapper json = new ObjectMapper();
        for (String name : ConceptLMConfig.presetNames()) {
            try (InputStream in = getClass().getResourceAsStream("/sonar-llm-paper-configs/SonarLLM_" + name + ".json")) {
                assertNotNull(in, name);
                ObjectNode root = (ObjectNode) json.readTree(in);
                root.put("embed_dim", 1024); // the authors' generate.py default (the files have no embed_dim)
                assertEquals(ConceptLMConfig.fromHfConfig(root), ConceptLMConfig.preset(name), name);
            }
        }
    }

    @Test
    void presetSizesMatchThePapersLabels() {
        // Exact counts of the graph's arrays, computed by hand from the shapes (see docs/training.md).
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
        assertEquals(new ConceptLMConfig.Llama3Scaling(32, 1, 4, 8192), c.ropeScaling());
    }

    @Test
    void unknownPresetListsTheKnownNames() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ConceptLMConfig.preset("1.3B"));
        assertEquals("expected a concept LM preset among [100M, 300M, 600M, 900M], found 1.3B", e.getMessage());
        assertThrows(InvalidInputException.class, () -> ConceptLMConfig.preset(null));
    }
}
