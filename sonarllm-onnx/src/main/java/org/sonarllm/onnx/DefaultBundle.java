package org.sonarllm.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.sonarllm.ModelFormatException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the default model bundle, in this order:
 * <ol>
 *   <li>the directory named by the environment variable {@value #ENV} (or the system property
 *       {@value #PROPERTY});
 *   <li>a bundle on the class path under the resource directory {@value #RESOURCE} (its {@code
 *       manifest.json} lists the files; a bundle inside a jar is extracted once to {@code
 *       ~/.cache/sonarllm/<sha of the manifest>}).
 * </ol>
 * There is no trained default model yet: with neither, {@link #locate()} is empty and callers decide
 * (the CLI falls back to the random-weight tiny-a test bundle and says so).
 *
 * <pre>{@code
 * Path bundle = DefaultBundle.locate().orElseThrow();
 * try (SonarLlm llm = SonarLlm.load(bundle)) { ... }
 * }</pre>
 */
public final class DefaultBundle {
    /** Environment variable naming a bundle directory. */
    public static final String ENV = "SONARLLM_MODEL";
    /** System property naming a bundle directory (checked before the environment variable). */
    public static final String PROPERTY = "sonarllm.model";
    /** Class path resource directory of an embedded bundle. */
    public static final String RESOURCE = "sonarllm/default-bundle";
    private static final Logger LOG = LoggerFactory.getLogger(DefaultBundle.class);

    private DefaultBundle() {}

    /**
     * @return the default bundle directory, if one is configured or embedded
     * @throws ModelFormatException if {@value #ENV} names something that is not a directory
     */
    public static Optional<Path> locate() {
        String named = System.getProperty(PROPERTY);
        String source = "system property " + PROPERTY;
        if (named == null || named.isBlank()) {
            named = System.getenv(ENV);
            source = "environment variable " + ENV;
        }
        if (named != null && !named.isBlank()) {
            Path p = Path.of(named);
            if (!Files.isDirectory(p)) {
                throw new ModelFormatException(source + " = " + named + ": expected a bundle directory, found "
                        + (Files.exists(p) ? "a file" : "nothing"));
            }
            return Optional.of(p);
        }
        return fromClassPath(Thread.currentThread().getContextClassLoader() != null
                ? Thread.currentThread().getContextClassLoader() : DefaultBundle.class.getClassLoader());
    }

    static Optional<Path> fromClassPath(ClassLoader cl) {
        URL manifest = cl.getResource(RESOURCE + "/" + BundleManifest.MANIFEST_FILE);
        if (manifest == null) {
            return Optional.empty();
        }
        try {
            if ("file".equals(manifest.getProtocol())) {
                return Optional.of(Path.of(manifest.toURI()).getParent());
            }
            byte[] bytes;
            try (InputStream in = manifest.openStream()) {
                bytes = in.readAllBytes();
            }
            Path cache = Path.of(System.getProperty("user.home"), ".cache", "sonarllm",
                    sha256Prefix(bytes));
            if (!Files.isRegularFile(cache.resolve(BundleManifest.MANIFEST_FILE))) {
                extract(cl, bytes, cache);
            }
            return Optional.of(cache);
        } catch (IOException | URISyntaxException e) {
            throw new ModelFormatException("cannot read the embedded default bundle " + manifest + ": " + e.getMessage(), e);
        }
    }

    private static String sha256Prefix(byte[] bytes) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
            return java.util.HexFormat.of().formatHex(d).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void extract(ClassLoader cl, byte[] manifestBytes, Path cache) throws IOException {
        LOG.info("extracting the embedded default bundle to {}", cache);
        Path tmp = Files.createDirectories(cache.getParent()).resolve(cache.getFileName() + ".tmp" + ProcessHandle.current().pid());
        Files.createDirectories(tmp);
        BundleManifest m = Bundle.mapper().readValue(manifestBytes, BundleManifest.class);
        for (BundleManifest.Component c : m.components().values()) {
            for (BundleManifest.FileEntry f : c.files()) {
                try (InputStream in = cl.getResourceAsStream(RESOURCE + "/" + f.path())) {
                    if (in == null) {
                        throw new ModelFormatException("embedded default bundle: expected resource " + RESOURCE + "/"
                                + f.path() + ", found none");
                    }
                    Path t = tmp.resolve(f.path());
                    Files.createDirectories(t.getParent());
                    Files.copy(in, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Files.write(tmp.resolve(BundleManifest.MANIFEST_FILE), manifestBytes);
        try {
            Files.move(tmp, cache, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (!Files.isRegularFile(cache.resolve(BundleManifest.MANIFEST_FILE))) {
                throw e;
            }
            // another process extracted it first
        }
    }
}
