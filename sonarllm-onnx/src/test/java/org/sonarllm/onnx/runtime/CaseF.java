package org.sonarllm.onnx.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sonarllm.onnx.convert.ConceptLmConverter;
import org.sonarllm.testing.TinyA;

/**
 * tiny-a case f: the concept LM converted to a fresh file, its input vectors, the expected
 * predictions (row t after inputs 0..t) and their tolerance.
 *
 * <pre>{@code
 * CaseF f = CaseF.load();
 * ConceptLM lm = OnnxConceptLm.open(f.model());
 * }</pre>
 *
 * @param model the converted {@code concept-lm.onnx}
 * @param inputs the input vectors
 * @param expected the expected predictions
 * @param tol absolute tolerance
 */
record CaseF(Path model, float[][] inputs, float[][] expected, double tol) {
    static CaseF load() {
        Path out = org.sonarllm.testing.TempDirs.create("clm").resolve(ConceptLmConverter.FILE_NAME);
        ConceptLmConverter.convert(TinyA.dir().resolve("sonar_llm"), out);
        JsonNode f = TinyA.expected().get("f_concept_lm");
        return new CaseF(out, TinyA.floats2(f.get("input_embeddings")), TinyA.floats2(f.get("predicted")),
                TinyA.expected().get("tolerances").get("concept_lm_abs").asDouble());
    }
}
