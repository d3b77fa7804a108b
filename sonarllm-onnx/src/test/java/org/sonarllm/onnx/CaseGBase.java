package org.sonarllm.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.testing.TinyA;

/**
 * The fixture of the tiny-a case g tests: the converted bundle with its concept LM loaded once per class,
 * case g's expected values and tolerances.
 */
abstract class CaseGBase {
    static SonarLlm llm;
    static JsonNode g;
    static double tolEmb;
    static double tolCos;

    @BeforeAll
    static void convert() throws Exception {
        llm = SonarLlm.load(TinyABundle.withConceptLm());
        g = TinyA.expected().get("g_generation");
        tolEmb = TinyA.expected().get("tolerances").get("embeddings_abs").asDouble();
        tolCos = TinyA.expected().get("tolerances").get("cosines_abs").asDouble();
    }

    @AfterAll
    static void close() {
        llm.close();
    }
}
