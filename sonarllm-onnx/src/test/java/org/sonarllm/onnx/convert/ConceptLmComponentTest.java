package org.sonarllm.onnx.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.testing.TinyA;

/** The concept_lm component: added to an existing bundle, its context limit round-trips to the runtime. */
class ConceptLmComponentTest {
    @TempDir
    Path tmp;

    @Test
    void addToBundleRecordsTheComponentAndItsContextLimit() {
        Path bundle = TinyABundle.copyTo(tmp.resolve("bundle"));
        try (SonarLlm llm = SonarLlm.load(bundle)) {
            assertFalse(llm.hasConceptLm());
        }
        ConceptLmConverter.addToBundle(TinyA.dir().resolve("sonar_llm"), bundle, 16);
        BundleManifest m = Bundle.open(bundle).manifest(); // every hash verified
        assertEquals(16, ((Number) m.components().get(BundleManifest.CONCEPT_LM).properties()
                .get(BundleManifest.CONTEXT_LIMIT)).intValue());
        try (SonarLlm llm = SonarLlm.load(bundle)) {
            assertTrue(llm.hasConceptLm());
            assertEquals(16, llm.conceptLm().contextLimit());
            assertEquals(m.dimensions().model(), llm.conceptLm().dimension());
        }
    }

    @Test
    void badArgumentsFailBeforeConverting() {
        Path missing = tmp.resolve("nope");
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ConceptLmConverter.componentWriter(missing, 0));
        assertEquals(missing + ": expected a concept LM checkpoint directory, found nothing", e.getMessage());
        InvalidInputException i = assertThrows(InvalidInputException.class,
                () -> ConceptLmConverter.componentWriter(TinyA.dir().resolve("sonar_llm"), 1));
        assertEquals("context limit must be 0 (default) or >= 2, got 1", i.getMessage());
    }
}
