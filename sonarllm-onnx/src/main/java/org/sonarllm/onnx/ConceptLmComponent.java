package org.sonarllm.onnx;

import org.sonarllm.ModelFormatException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.onnx.runtime.OnnxConceptLm;
import org.sonarllm.predict.ConceptLM;

/** Loads the {@code concept_lm} component of a bundle (property {@code contextLimit} optional). */
final class ConceptLmComponent {
    /** Manifest property: the context limit in sentences (default: see {@link OnnxConceptLm}). */
    static final String CONTEXT_LIMIT = "contextLimit";

    private ConceptLmComponent() {}

    static ConceptLM open(Bundle bundle, RuntimeOptions o) {
        BundleManifest.Component c = bundle.manifest().components().get(BundleManifest.CONCEPT_LM);
        Object limit = c.properties() == null ? null : c.properties().get(CONTEXT_LIMIT);
        int contextLimit = 0;
        if (limit != null) {
            if (!(limit instanceof Number n) || n.intValue() < 2 || n.doubleValue() != n.intValue()) {
                throw new ModelFormatException(bundle.dir() + ": expected concept_lm property " + CONTEXT_LIMIT
                        + " to be an integer >= 2, found " + limit);
            }
            contextLimit = n.intValue();
        }
        ConceptLM lm = OnnxConceptLm.open(bundle.file(BundleManifest.CONCEPT_LM), contextLimit, o);
        int d = bundle.manifest().dimensions().model();
        if (lm.dimension() != d) {
            lm.close();
            throw new ModelFormatException(bundle.dir() + ": expected a concept LM over " + d
                    + "-dim vectors (the encoder's), found " + lm.dimension());
        }
        return lm;
    }
}
