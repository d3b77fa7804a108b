package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.onnx.testing.TinyACases;
import org.sonarllm.testing.TinyA;

/** tiny-a expected.json cases b-e through the converted (format 2) bundle and the public runtime API. */
class TinyARuntimeTest {
    static SonarLlm llm;

    @BeforeAll
    static void load() {
        llm = SonarLlm.load(TinyABundle.get());
    }

    @AfterAll
    static void close() {
        llm.close();
    }

    @Test
    void caseBEmbeddingsFromTextAndFromIds() {
        TinyACases.caseB(llm);
    }

    @Test
    void caseCTeacherForcingLogits() {
        TinyACases.caseC(llm);
    }

    @Test
    void caseDGreedyIdsAndTexts() {
        TinyACases.caseD(llm);
    }

    @Test
    void caseEBeamBestAndAllHypotheses() {
        TinyACases.caseE(llm);
        for (JsonNode k : TinyACases.caseECases()) {
            float[] emb = TinyA.floats(k.get("embedding"));
            List<DecodedSentence> all = llm.onnxDecoder().decodeNBest(List.of(emb), Language.ENGLISH, 5, 1.0, 20).get(0);
            JsonNode hyps = k.get("hypotheses");
            assertEquals(hyps.size(), all.size());
            for (int i = 0; i < hyps.size(); i++) {
                assertArrayEquals(TinyA.ints(hyps.get(i).get("ids")), all.get(i).ids(), "hypothesis " + i);
                assertEquals(hyps.get(i).get("score").asDouble(), all.get(i).score(), 1e-4);
            }
        }
    }
}
