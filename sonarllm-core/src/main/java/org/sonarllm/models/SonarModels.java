package org.sonarllm.models;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.ModelFormatException;
import org.sonarllm.SonarLlmException;
import org.sonarllm.bundle.DefaultBundle;

/**
 * Entry point for applications: loads a model bundle through the {@link ModelProvider} found on the
 * class path by {@link ServiceLoader}, the way DJL finds its engines. Compile against {@code
 * sonarllm-core}; put a runtime ({@code org.sonarllm:sonarllm-onnx}) and, for {@link #loadDefault()},
 * the default model ({@value DefaultBundle#ARTIFACT}) on the run-time class path:
 *
 * <pre>{@code
 * <dependency><groupId>org.sonarllm</groupId><artifactId>sonarllm-core</artifactId></dependency>
 * <dependency><groupId>org.sonarllm</groupId><artifactId>sonarllm-onnx</artifactId><scope>runtime</scope></dependency>
 * <dependency><groupId>org.sonarllm</groupId><artifactId>sonarllm-default-model</artifactId><scope>runtime</scope></dependency>
 *
 * try (SonarModel model = SonarModels.loadDefault()) {            // or SonarModels.load(Path.of("my-bundle"))
 *     model.generator().generate("It was a fine morning.").sentences().forEach(s -> System.out.println(s.text()));
 * }
 * }</pre>
 *
 * With several providers on the class path, the system property {@value #PROVIDER_PROPERTY} names
 * the one to use; without it the first by name is used. Stateless and thread-safe.
 */
public final class SonarModels {
    /** System property naming the provider to use when several are on the class path. */
    public static final String PROVIDER_PROPERTY = "sonarllm.provider";
    /** The artifact that provides the ONNX Runtime implementation. */
    public static final String ONNX_ARTIFACT = "org.sonarllm:sonarllm-onnx";
    private static final Logger LOG = LoggerFactory.getLogger(SonarModels.class);

    private SonarModels() {}

    /**
     * @param bundleDir a model bundle directory
     * @return the loaded model; close it
     * @throws SonarLlmException if no provider is on the class path (the message names {@value
     *     #ONNX_ARTIFACT})
     * @throws ModelFormatException if the bundle is missing, corrupt or inconsistent
     */
    public static SonarModel load(Path bundleDir) {
        return provider().load(bundleDir);
    }

    /**
     * Loads the default bundle: {@link DefaultBundle#require()} ({@code SONARLLM_MODEL}, or the bundle
     * of {@value DefaultBundle#ARTIFACT} on the class path).
     *
     * @return the loaded model; close it
     * @throws SonarLlmException if no provider is on the class path
     * @throws ModelFormatException if there is no default model (the message names the artifact to
     *     add), or it is invalid
     */
    public static SonarModel loadDefault() {
        ModelProvider p = provider();
        return p.load(DefaultBundle.require());
    }

    /** @return the providers on the class path, sorted by name */
    public static List<ModelProvider> providers() {
        return providers(classLoader());
    }

    /**
     * @return the provider {@link #load} uses
     * @throws SonarLlmException if there is none, or {@value #PROVIDER_PROPERTY} names one that is absent
     */
    public static ModelProvider provider() {
        return select(providers(classLoader()), System.getProperty(PROVIDER_PROPERTY));
    }

    static List<ModelProvider> providers(ClassLoader cl) {
        List<ModelProvider> found = new ArrayList<>();
        try {
            ServiceLoader.load(ModelProvider.class, cl).forEach(found::add);
        } catch (ServiceConfigurationError e) {
            throw new SonarLlmException("cannot instantiate a model provider: " + e.getMessage(), e);
        }
        found.sort(Comparator.comparing(ModelProvider::name));
        return found;
    }

    static ModelProvider select(List<ModelProvider> found, String wanted) {
        if (found.isEmpty()) {
            throw new SonarLlmException("expected a model provider (an implementation of " + ModelProvider.class.getName()
                    + ") on the class path, found none: add " + ONNX_ARTIFACT + " (runtime scope is enough)");
        }
        List<String> names = found.stream().map(ModelProvider::name).toList();
        if (wanted != null && !wanted.isBlank()) {
            return found.stream().filter(p -> p.name().equals(wanted)).findFirst().orElseThrow(() ->
                    new SonarLlmException("system property " + PROVIDER_PROPERTY + " = " + wanted
                            + ": expected one of the model providers on the class path " + names + ", found none"));
        }
        if (found.size() > 1) {
            LOG.info("model providers {} on the class path; using '{}' (set -D{} to choose)", names,
                    found.get(0).name(), PROVIDER_PROPERTY);
        }
        return found.get(0);
    }

    private static ClassLoader classLoader() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : SonarModels.class.getClassLoader();
    }
}
