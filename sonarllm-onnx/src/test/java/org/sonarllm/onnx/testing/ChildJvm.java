package org.sonarllm.onnx.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Test helpers for what needs another process or root: a child JVM on the test class path (to be killed
 * with SIGKILL mid-write), and a small tmpfs (a disk that fills up).
 */
public final class ChildJvm {
    private ChildJvm() {}

    /**
     * Starts {@code main} in a child JVM on the test class path; its stderr goes to {@code tmp/<name>.err}.
     *
     * @param tmp a scratch folder
     * @param heap the child's -Xmx, e.g. "512m"
     * @param main the class whose main method runs
     * @param args its arguments
     * @return the process (stdout readable)
     * @throws IOException if it cannot start
     */
    public static Process start(Path tmp, String heap, Class<?> main, String... args) throws IOException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path argFile = tmp.resolve("cp-" + System.nanoTime() + ".args");
        Files.writeString(argFile, "-cp \"" + cp.replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap, "@" + argFile, main.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(stderr(tmp, main).toFile()).start();
    }

    /** @param tmp the scratch folder @param main the child's class @return where its stderr goes */
    public static Path stderr(Path tmp, Class<?> main) {
        return tmp.resolve(main.getSimpleName() + ".err");
    }

    /**
     * Mounts a tmpfs of {@code size} on a new folder (skips the test when that is not possible: not root).
     *
     * @param dir the mount point to create
     * @param size e.g. "64k"
     * @return {@code dir}
     * @throws Exception if mounting fails unexpectedly
     */
    public static Path mountTmpfs(Path dir, String size) throws Exception {
        Files.createDirectories(dir);
        Process m = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString())
                .redirectErrorStream(true).start();
        Assumptions.assumeTrue(m.waitFor(30, TimeUnit.SECONDS) && m.exitValue() == 0, "cannot mount a tmpfs here (not root)");
        return dir;
    }

    /** @param dir a mount point of {@link #mountTmpfs} @throws Exception if waiting is interrupted */
    public static void unmount(Path dir) throws Exception {
        new ProcessBuilder("umount", dir.toString()).start().waitFor(30, TimeUnit.SECONDS);
    }
}
