package org.sonarllm.training.model;

import org.sonarllm.model.ConceptLMConfig;
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

/** The training graph creates exactly the config's parameters. */
class ConceptLMGraphParametersTest {

    /** Shape with GQA and heads x head_dim != hidden, so every term of the count is distinct. */
    private static final ConceptLMConfig ODD = new ConceptLMConfig(16, 12, 2, 4, 2, 6, 20, 10000.0,
            ConceptLMConfig.RopeScaling.NONE, 1e-6, 64);

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
}
