package org.sonarllm.bundle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.sonarllm.ModelFormatException;
import org.sonarllm.SonarLlmException;
import org.sonarllm.bundle.BundleManifest.Component;
import org.sonarllm.bundle.BundleManifest.FileEntry;

/**
 * Writes and extends bundle manifests: hashes component files that are already inside the bundle
 * directory and records them. The converter uses it to create bundles; other tools use {@link
 * #addComponent} to add, say, a concept LM to an existing bundle. Not thread-safe.
 *
 * <pre>{@code
 * // after writing bundle/concept_lm.onnx:
 * BundleWriter.addComponent(bundle, BundleManifest.CONCEPT_LM,
 *         List.of(bundle.resolve("concept_lm.onnx")), Map.of("contextLimit", 4096));
 * }</pre>
 */
public final class BundleWriter {
    private BundleWriter() {}

    /**
     * Describes files inside a bundle directory.
     *
     * @param dir the bundle directory
     * @param files files under {@code dir}
     * @param properties component properties
     * @return the component with sizes and hashes
     */
    public static Component component(Path dir, List<Path> files, Map<String, Object> properties) {
        return component(dir, files, properties, Bundle::sha256);
    }

    /**
     * Describes files inside a bundle directory with a given hash function (e.g. one that remembers the
     * hashes of a weights file several components list).
     *
     * @param dir the bundle directory
     * @param files files under {@code dir}
     * @param properties component properties
     * @param sha256 lowercase hex sha256 of a file
     * @return the component with sizes and hashes
     */
    public static Component component(Path dir, List<Path> files, Map<String, Object> properties,
            java.util.function.Function<Path, String> sha256) {
        List<FileEntry> entries = new ArrayList<>();
        Path base = dir.toAbsolutePath().normalize();
        for (Path f : files) {
            Path abs = f.toAbsolutePath().normalize();
            if (!abs.startsWith(base)) {
                throw new ModelFormatException(f + ": expected a file inside bundle " + dir + ", found one outside it");
            }
            String rel = base.relativize(abs).toString().replace('\\', '/');
            try {
                entries.add(new FileEntry(rel, Files.size(abs), sha256.apply(abs)));
            } catch (IOException e) {
                throw new ModelFormatException(f + ": cannot stat: " + e.getMessage(), e);
            }
        }
        return new Component(entries, properties);
    }

    /**
     * Writes manifest.json (atomically: a temporary file renamed into place).
     *
     * @param dir the bundle directory @param manifest the manifest
     * @throws SonarLlmException if it cannot be written ({@link #writeFailure})
     */
    public static void writeManifest(Path dir, BundleManifest manifest) {
        Path tmp = dir.resolve(BundleManifest.MANIFEST_FILE + ".tmp");
        try {
            Bundle.mapper().writeValue(tmp.toFile(), manifest);
            Files.move(tmp, dir.resolve(BundleManifest.MANIFEST_FILE), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw writeFailure(tmp, e);
        }
    }

    /**
     * The one wording of a failed write while building a bundle or its files: a full disk reads
     * {@code "<file>: no space left on device"}, anything else {@code "cannot write <file>: <reason>"}.
     *
     * <pre>{@code
     * catch (IOException e) { throw BundleWriter.writeFailure(file, e); }
     * }</pre>
     *
     * @param file the file being written
     * @param e the failure
     * @return the exception to throw
     */
    public static SonarLlmException writeFailure(Path file, IOException e) {
        if (isDiskFull(e)) {
            return new SonarLlmException(file + ": no space left on device", e);
        }
        return new SonarLlmException("cannot write " + file + ": " + e.getMessage(), e);
    }

    /** @param e an I/O failure @return whether it (or a cause) says the device is full (ENOSPC) */
    static boolean isDiskFull(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                    : t.getMessage();
            if (m != null && m.toLowerCase(java.util.Locale.ROOT).contains("no space left on device")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Adds (or replaces) a component of an existing bundle, hashing its files, then re-validates the
     * bundle without re-hashing the other components.
     *
     * @param dir the bundle directory (must already have a manifest)
     * @param name component name, e.g. {@link BundleManifest#CONCEPT_LM}
     * @param files the component's files, already inside {@code dir}, main file first
     * @param properties component properties
     * @return the updated manifest
     */
    public static BundleManifest addComponent(Path dir, String name, List<Path> files, Map<String, Object> properties) {
        BundleManifest m = Bundle.readManifest(dir).withComponent(name, component(dir, files, properties));
        writeManifest(dir, m);
        Bundle.validate(dir, m, false);
        return m;
    }
}
