package org.sonarllm.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.sonarllm.ModelFormatException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.onnx.testing.TinyABundle;

class DefaultBundleTest {
    @Test
    void systemPropertyWinsAndMustNameADirectory() throws Exception {
        Path b = TinyABundle.get();
        try {
            System.setProperty(DefaultBundle.PROPERTY, b.toString());
            assertEquals(b, DefaultBundle.locate().orElseThrow());
            System.setProperty(DefaultBundle.PROPERTY, b.resolve("nope").toString());
            assertThrows(ModelFormatException.class, DefaultBundle::locate);
        } finally {
            System.clearProperty(DefaultBundle.PROPERTY);
        }
    }

    @Test
    void bundleOnTheClassPathAsDirectoryOrJar() throws Exception {
        Path b = TinyABundle.get();
        Path root = Files.createTempDirectory("cp");
        TinyABundle.copyTo(root.resolve(DefaultBundle.RESOURCE));
        try (URLClassLoader cl = new URLClassLoader(new URL[] {root.toUri().toURL()}, null)) {
            assertEquals(root.resolve(DefaultBundle.RESOURCE), DefaultBundle.fromClassPath(cl).orElseThrow());
        }
        Path jar = root.resolve("bundle.jar");
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
        Path fakeHome = Files.createTempDirectory("home");
        System.setProperty("user.home", fakeHome.toString());
        try (URLClassLoader cl = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            Path extracted = DefaultBundle.fromClassPath(cl).orElseThrow();
            assertTrue(extracted.startsWith(fakeHome), extracted.toString());
            Bundle opened = Bundle.open(extracted); // verifies every sha256
            assertEquals(Bundle.open(b).manifest(), opened.manifest());
            assertEquals(extracted, DefaultBundle.fromClassPath(cl).orElseThrow()); // cached
        } finally {
            System.setProperty("user.home", home);
        }
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            assertTrue(DefaultBundle.fromClassPath(empty).isEmpty());
        }
        assertTrue(Files.isRegularFile(b.resolve(BundleManifest.MANIFEST_FILE)));
    }
}
