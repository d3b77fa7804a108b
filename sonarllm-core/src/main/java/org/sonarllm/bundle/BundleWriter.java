package org.sonarllm.bundle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.sonarllm.ModelFormatException;
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
        List<FileEntry> entries = new ArrayList<>();
        Path base = dir.toAbsolutePath().normalize();
        for (Path f : files) {
            Path abs = f.toAbsolutePath().normalize();
            if (!abs.startsWith(base)) {
                throw new ModelFormatException(f + ": expected a file inside bundle " + dir + ", found one outside it");
            }
            String rel = base.relativize(abs).toString().replace('\\', '/');
            try {
                entries.add(new FileEntry(rel, Files.size(abs), Bundle.sha256(abs)));
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
     */
    public static void writeManifest(Path dir, BundleManifest manifest) {
        try {
            Path tmp = dir.resolve(BundleManifest.MANIFEST_FILE + ".tmp");
            Bundle.mapper().writeValue(tmp.toFile(), manifest);
            Files.move(tmp, dir.resolve(BundleManifest.MANIFEST_FILE), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write manifest in " + dir, e);
        }
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
