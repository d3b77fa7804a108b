package org.sonarllm.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.SonarLlmException;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.decode.ConceptDecoder;
import org.sonarllm.encode.ConceptEncoder;
import org.sonarllm.generate.Generator;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.tokenize.SonarTokenizer;

class SonarModelsTest {
    private static final String NO_PROVIDER = "expected a model provider (an implementation of "
            + "org.sonarllm.models.ModelProvider) on the class path, found none: add org.sonarllm:sonarllm-onnx "
            + "(runtime scope is enough)";

    @TempDir
    Path tmp;

    /** A model that only remembers which bundle it was loaded from. */
    record Loaded(String provider, Path bundle) implements SonarModel {
        @Override
        public ConceptEncoder encoder() {
            throw new UnsupportedOperationException();
        }

        @Override
        public ConceptDecoder decoder() {
            throw new UnsupportedOperationException();
        }

        @Override
        public ConceptLM conceptLm() {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean hasConceptLm() {
            return false;
        }

        @Override
        public Generator generator() {
            throw new UnsupportedOperationException();
        }

        @Override
        public SonarTokenizer tokenizer() {
            throw new UnsupportedOperationException();
        }

        @Override
        public BundleManifest manifest() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {}
    }

    /** Registered through a services file in a temporary class path entry. */
    public static final class Alpha implements ModelProvider {
        @Override
        public String name() {
            return "alpha";
        }

        @Override
        public SonarModel load(Path bundleDir) {
            return new Loaded(name(), bundleDir);
        }
    }

    /** A second provider. */
    public static final class Beta implements ModelProvider {
        @Override
        public String name() {
            return "beta";
        }

        @Override
        public SonarModel load(Path bundleDir) {
            return new Loaded(name(), bundleDir);
        }
    }

    private URLClassLoader withServices(String... providers) throws Exception {
        Path root = Files.createTempDirectory(tmp, "cp");
        Path f = Files.createDirectories(root.resolve("META-INF/services")).resolve(ModelProvider.class.getName());
        Files.writeString(f, "# test providers\n" + String.join("\n", providers) + "\n");
        return new URLClassLoader(new URL[] {root.toUri().toURL()}, getClass().getClassLoader());
    }

    private static <T> T withContextLoader(ClassLoader cl, java.util.function.Supplier<T> body) {
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(cl);
        try {
            return body.get();
        } finally {
            Thread.currentThread().setContextClassLoader(before);
        }
    }

    @Test
    void coreAloneHasNoProviderAndSaysWhichArtifactToAdd() {
        // sonarllm-core's own test class path holds no runtime
        assertEquals(List.of(), SonarModels.providers());
        SonarLlmException e = assertThrows(SonarLlmException.class, () -> SonarModels.load(tmp));
        assertEquals(NO_PROVIDER, e.getMessage());
        e = assertThrows(SonarLlmException.class, SonarModels::loadDefault);
        assertEquals(NO_PROVIDER, e.getMessage());
    }

    @Test
    void theProviderOnTheClassPathLoadsTheBundle() throws Exception {
        try (URLClassLoader cl = withServices(Alpha.class.getName())) {
            SonarModel m = withContextLoader(cl, () -> SonarModels.load(tmp));
            assertEquals(new Loaded("alpha", tmp), m);
        }
    }

    @Test
    void severalProvidersFirstByNameUnlessThePropertyChooses() throws Exception {
        try (URLClassLoader cl = withServices(Beta.class.getName(), Alpha.class.getName())) {
            List<ModelProvider> found = SonarModels.providers(cl);
            assertEquals(List.of("alpha", "beta"), found.stream().map(ModelProvider::name).toList());
            assertSame(found.get(0), SonarModels.select(found, null));
            assertSame(found.get(1), SonarModels.select(found, "beta"));
            SonarLlmException e = assertThrows(SonarLlmException.class, () -> SonarModels.select(found, "gamma"));
            assertEquals("system property sonarllm.provider = gamma: expected one of the model providers on the class "
                    + "path [alpha, beta], found none", e.getMessage());
        }
    }

    @Test
    void aBrokenServicesEntryIsATypedError() throws Exception {
        try (URLClassLoader cl = withServices("org.sonarllm.models.NoSuchProvider")) {
            SonarLlmException e = assertThrows(SonarLlmException.class, () -> SonarModels.providers(cl));
            assertEquals(true, e.getMessage().startsWith("cannot instantiate a model provider: "), e.getMessage());
        }
    }
}
