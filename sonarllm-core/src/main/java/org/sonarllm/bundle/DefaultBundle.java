package org.sonarllm.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.ModelFormatException;

/**
 * Finds the default model bundle, in this order:
 * <ol>
 *   <li>the directory named by the system property {@value #PROPERTY}, else by the environment
 *       variable {@value #ENV};
 *   <li>a bundle on the class path under the resource directory {@value #RESOURCE}, which the
 *       artifact {@value #ARTIFACT} ships (the miniature Austen model of {@code docs/default-model.md});
 *       its {@code manifest.json} lists the files; a bundle inside a jar is extracted once to {@code
 *       ~/.cache/sonarllm/<sha256 prefix of the manifest>}.
 * </ol>
 * With neither, {@link #locate()} is empty and {@link #require()} fails naming what to add.
 * Stateless and thread-safe (concurrent extractions of the same bundle are atomic renames).
 *
 * <pre>{@code
 * Path bundle = DefaultBundle.require();                  // or DefaultBundle.locate().orElse(...)
 * try (SonarModel model = SonarModels.load(bundle)) { ... }
 * }</pre>
 */
public final class DefaultBundle {
    /** Environment variable naming a bundle directory. */
    public static final String ENV = "SONARLLM_MODEL";
    /** System property naming a bundle directory (checked before the environment variable). */
    public static final String PROPERTY = "sonarllm.model";
    /** Class path resource directory of an embedded bundle. */
    public static final String RESOURCE = "sonarllm/default-bundle";
    /** The Maven artifact that puts the default bundle on the class path. */
    public static final String ARTIFACT = "org.sonarllm:sonarllm-default-model";
    private static final Logger LOG = LoggerFactory.getLogger(DefaultBundle.class);

    private DefaultBundle() {}

    /**
     * @return the default bundle directory, if one is configured or embedded
     * @throws ModelFormatException if {@value #PROPERTY} or {@value #ENV} names something that is not a
     *     directory, or an embedded bundle cannot be extracted
     */
    public static Optional<Path> locate() {
        return locate(System.getProperty(PROPERTY), System.getenv(ENV), classLoader());
    }

    /**
     * @return the default bundle directory
     * @throws ModelFormatException if there is none (the message names {@value #ARTIFACT} and
     *     {@value #ENV}), or as {@link #locate()}
     */
    public static Path require() {
        return require(System.getProperty(PROPERTY), System.getenv(ENV), classLoader());
    }

    static Path require(String property, String env, ClassLoader cl) {
        return locate(property, env, cl).orElseThrow(() -> new ModelFormatException("expected a default model, found "
                + "none: add " + ARTIFACT + " to the class path (runtime scope), or set " + ENV + " (or -D" + PROPERTY
                + ") to a bundle directory"));
    }

    static Optional<Path> locate(String property, String env, ClassLoader cl) {
        String named = property;
        String source = "system property " + PROPERTY;
        if (named == null || named.isBlank()) {
            named = env;
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
        return fromClassPath(cl);
    }

    private static ClassLoader classLoader() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : DefaultBundle.class.getClassLoader();
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
            Path cache = Path.of(System.getProperty("user.home"), ".cache", "sonarllm", sha256Prefix(bytes));
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
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void extract(ClassLoader cl, byte[] manifestBytes, Path cache) throws IOException {
        LOG.info("extracting the embedded default bundle to {}", cache);
        Path tmp = Files.createDirectories(cache.getParent())
                .resolve(cache.getFileName() + ".tmp" + ProcessHandle.current().pid());
        Files.createDirectories(tmp);
        BundleManifest m = Bundle.mapper().readValue(manifestBytes, BundleManifest.class);
        for (BundleManifest.Component c : m.components().values()) {
            for (BundleManifest.FileEntry f : c.files()) {
                Path t = Bundle.resolveSafe(tmp, f.path(), RESOURCE + "/" + BundleManifest.MANIFEST_FILE);
                try (InputStream in = cl.getResourceAsStream(RESOURCE + "/" + f.path())) {
                    if (in == null) {
                        throw new ModelFormatException("embedded default bundle: expected resource " + RESOURCE + "/"
                                + f.path() + ", found none");
                    }
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
