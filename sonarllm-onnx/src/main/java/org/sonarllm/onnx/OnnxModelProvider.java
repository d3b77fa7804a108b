package org.sonarllm.onnx;

import java.nio.file.Path;
import org.sonarllm.models.ModelProvider;
import org.sonarllm.models.SonarModel;

/**
 * The ONNX Runtime {@link ModelProvider}, registered in {@code
 * META-INF/services/org.sonarllm.models.ModelProvider}: {@link org.sonarllm.models.SonarModels}
 * finds it when {@code sonarllm-onnx} is on the class path and loads bundles as {@link SonarLlm}
 * with {@link org.sonarllm.onnx.runtime.RuntimeOptions#defaults()}. Stateless and thread-safe.
 *
 * <pre>{@code
 * try (SonarModel model = SonarModels.load(Path.of("my-bundle"))) { ... }   // a SonarLlm underneath
 * }</pre>
 */
public final class OnnxModelProvider implements ModelProvider {
    /** This provider's name. */
    public static final String NAME = "onnx";

    /** For {@link java.util.ServiceLoader}. */
    public OnnxModelProvider() {}

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public SonarModel load(Path bundleDir) {
        return SonarLlm.load(bundleDir);
    }
}
