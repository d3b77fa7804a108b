package org.sonarllm.models;

import java.nio.file.Path;

/**
 * Service provider interface of a model runtime, found by {@link SonarModels} through {@link
 * java.util.ServiceLoader}. A runtime module registers its implementation in {@code
 * META-INF/services/org.sonarllm.models.ModelProvider} ({@code sonarllm-onnx} registers the ONNX
 * Runtime one, named {@code "onnx"}). Implementations need a public no-argument constructor and must
 * be thread-safe.
 *
 * <pre>{@code
 * public final class MyProvider implements ModelProvider {
 *     public String name() { return "mine"; }
 *     public SonarModel load(Path bundleDir) { return MyModel.open(bundleDir); }
 * }
 * }</pre>
 */
public interface ModelProvider {
    /** @return a short, unique name (selectable with the system property {@value SonarModels#PROVIDER_PROPERTY}) */
    String name();

    /**
     * @param bundleDir a model bundle directory ({@code docs/model-format.md})
     * @return the loaded model; the caller closes it
     * @throws org.sonarllm.ModelFormatException if the bundle is missing, corrupt or inconsistent
     */
    SonarModel load(Path bundleDir);
}
