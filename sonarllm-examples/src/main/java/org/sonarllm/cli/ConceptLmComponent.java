package org.sonarllm.cli;

import java.nio.file.Path;
import org.sonarllm.onnx.convert.SonarConverter;

/**
 * Hook for {@code convert --concept-lm DIR}: returns the {@link SonarConverter.ComponentWriter} that
 * converts a SONAR-LLM checkpoint into the bundle's {@code concept_lm} component. The concept-LM
 * converter lives with the generation work; until it is wired in here, the option is rejected.
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
        // HOOK (lm helper): return bundleDir -> new SonarConverter.Written(files written into bundleDir, properties)
        throw new UsageException("--concept-lm: concept-LM conversion is not available in this build");
    }
}
