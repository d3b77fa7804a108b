package org.sonarllm.cli;

import java.nio.file.Path;
import org.sonarllm.onnx.convert.ConceptLmConverter;
import org.sonarllm.onnx.convert.SonarConverter;

/**
 * Hook for {@code convert --concept-lm DIR}: returns the {@link SonarConverter.ComponentWriter} that
 * converts a SONAR-LLM checkpoint into the bundle's {@code concept_lm} component with {@link
 * ConceptLmConverter} (see {@code docs/concept-lm-conversion.md}).
 *
 * <pre>{@code
 * extras.put(BundleManifest.CONCEPT_LM, ConceptLmComponent.writer(Path.of("sonar_llm")));
 * }</pre>
 */
final class ConceptLmComponent {
    private ConceptLmComponent() {}

    /**
     * @param checkpointDir the SONAR-LLM checkpoint directory
     * @return a writer producing the concept_lm component
     */
    static SonarConverter.ComponentWriter writer(Path checkpointDir) {
        if (!java.nio.file.Files.isDirectory(checkpointDir)) {
            throw new UsageException("--concept-lm: checkpoint directory not found: " + checkpointDir);
        }
        return ConceptLmConverter.componentWriter(checkpointDir, 0);
    }
}
