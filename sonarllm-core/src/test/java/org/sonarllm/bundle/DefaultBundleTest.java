package org.sonarllm.bundle;

import org.sonarllm.model.ConceptLMConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.ModelFormatException;
import org.sonarllm.model.SonarConfig;

class DefaultBundleTest {
    @TempDir
    Path tmp;

    /** A small valid bundle (graph files are opaque bytes: Bundle checks sizes and hashes, not graphs). */
    static Path writeBundle(Path dir) throws Exception {
        Map<String, BundleManifest.Component> comps = new LinkedHashMap<>();
        int k = 0;
        for (String c : Bundle.REQUIRED) {
            Path f = dir.resolve(c.equals(BundleManifest.TOKENIZER) ? "tokenizer/languages.txt" : c + ".onnx");
            Files.createDirectories(f.getParent());
            Files.write(f, new byte[] {(byte) k++, 1, 2, 3});
            comps.put(c, BundleWriter.component(dir, List.of(f), Map.of()));
        }
        BundleManifest m = new BundleManifest(BundleManifest.FORMAT, BundleManifest.FORMAT_VERSION,
                SonarConfig.symmetric(16, 4, 2, 8, 1, 1, 8), new BundleManifest.SpecialIds(0, 1, 2, 3, -1),
                new BundleManifest.LanguageTable(10, List.of("eng_Latn")), ConceptLMConfig.EOS_TEXT,
                new float[] {1, 0, 0, 0}, comps);
        BundleWriter.writeManifest(dir, m);
        Bundle.open(dir);
        return dir;
    }

    @Test
    void propertyWinsOverTheEnvironmentAndMustNameADirectory() throws Exception {
        Path a = Files.createDirectories(tmp.resolve("a"));
        Path b = Files.createDirectories(tmp.resolve("b"));
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            assertEquals(a, DefaultBundle.locate(a.toString(), b.toString(), empty).orElseThrow());
            assertEquals(b, DefaultBundle.locate(" ", b.toString(), empty).orElseThrow());
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> DefaultBundle.locate(tmp.resolve("nope").toString(), null, empty));
            assertEquals("system property sonarllm.model = " + tmp.resolve("nope")
                    + ": expected a bundle directory, found nothing", e.getMessage());
        }
    }

    @Test
    void withoutADefaultModelTheErrorNamesTheArtifactToAdd() throws Exception {
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            assertTrue(DefaultBundle.locate(null, null, empty).isEmpty());
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> DefaultBundle.require(null, null, empty));
            assertEquals("expected a default model, found none: add org.sonarllm:sonarllm-default-model to the class path"
                    + " (runtime scope), or set SONARLLM_MODEL (or -Dsonarllm.model) to a bundle directory", e.getMessage());
        }
    }

    @Test
    void bundleOnTheClassPathAsDirectoryOrJar() throws Exception {
        Path b = writeBundle(Files.createDirectories(tmp.resolve("src")));
        Path root = tmp.resolve("cp");
        Path inCp = Files.createDirectories(root.resolve(DefaultBundle.RESOURCE));
        try (var files = Files.walk(b)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                Path t = inCp.resolve(b.relativize(p).toString());
                Files.createDirectories(t.getParent());
                Files.copy(p, t);
            }
        }
        try (URLClassLoader cl = new URLClassLoader(new URL[] {root.toUri().toURL()}, null)) {
            assertEquals(inCp, DefaultBundle.locate(null, null, cl).orElseThrow());
        }
        Path jar = tmp.resolve("bundle.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); var files = Files.walk(b)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(p)) {
                    out.putNextEntry(new JarEntry(DefaultBundle.RESOURCE + "/" + b.relativize(p).toString().replace('\\', '/')));
                    Files.copy(p, (OutputStream) out);
                    out.closeEntry();
                }
            }
        }
        String home = System.getProperty("user.home");
        Path fakeHome = Files.createDirectories(tmp.resolve("home"));
        System.setProperty("user.home", fakeHome.toString());
        try (URLClassLoader cl = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            Path extracted = DefaultBundle.require(null, null, cl);
            assertTrue(extracted.startsWith(fakeHome.resolve(".cache/sonarllm")), extracted.toString());
            Bundle opened = Bundle.open(extracted); // verifies every sha256
            assertEquals(Bundle.open(b).manifest(), opened.manifest());
            assertEquals(extracted, DefaultBundle.require(null, null, cl)); // cached
        } finally {
            System.setProperty("user.home", home);
        }
    }
}
