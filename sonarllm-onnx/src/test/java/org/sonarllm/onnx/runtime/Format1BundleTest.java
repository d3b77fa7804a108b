package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.testing.TinyACases;
import org.sonarllm.onnx.testing.TinyAFormat1;

/**
 * A bundle of format 1 (written by the converter before format 2: weights inside each graph, transposed
 * for the ORT graphs) still loads, hashes verified, and reproduces tiny-a's cases b-g.
 */
class Format1BundleTest {
    @Test
    void format1BundleLoadsAndReproducesCasesBToG() {
        Bundle b = Bundle.open(TinyAFormat1.dir());
        assertEquals(1, b.manifest().formatVersion());
        assertFalse(b.manifest().conceptLmAddBegin());
        try (SonarLlm llm = SonarLlm.load(TinyAFormat1.dir())) {
            TinyACases.all(llm);
        }
    }
}
