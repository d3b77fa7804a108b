package org.sonarllm.it;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The consumer's run-time class path (written by maven-dependency-plugin's build-classpath into the
 * file named by the system property {@code it.classpath.file}) plus the compiled {@link ConsumerApp},
 * and a way to run the app in a child JVM with exactly that class path.
 */
final class ConsumerJvm {
    /** A finished child JVM. */
    record Run(int exit, List<String> out, String err, int commandLineChars) {
        /** @return the lines starting with {@code prefix}, without it */
        List<String> lines(String prefix) {
            return out.stream().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).toList();
        }
    }

    private ConsumerJvm() {}

    /** @return the dependency entries of the consumer's run-time class path, in order */
    static List<Path> dependencies() {
        String file = System.getProperty("it.classpath.file");
        if (file == null) {
            throw new IllegalStateException("system property it.classpath.file is not set (run through Maven)");
        }
        try {
            String cp = Files.readString(Path.of(file)).strip();
            return Arrays.stream(cp.split(File.pathSeparator)).filter(s -> !s.isBlank()).map(Path::of).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the dependencies plus the module's compiled classes (where ConsumerApp is) */
    static List<String> classPath() {
        List<String> cp = new ArrayList<>();
        dependencies().forEach(p -> cp.add(p.toString()));
        cp.add(System.getProperty("it.classes"));
        return cp;
    }

    /**
     * Runs {@link ConsumerApp} in a child JVM.
     *
     * @param classPath the class path entries
     * @param viaArgFile pass the class path in an {@code @argfile} (else on the command line itself)
     * @param work a scratch directory (user.home of the child, argfile, output files)
     * @param args the app's arguments
     * @return the exit code and output
     */
    static Run run(List<String> classPath, boolean viaArgFile, Path work, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = String.join(File.pathSeparator, classPath);
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx1g", "-Duser.home=" + work.resolve("home")));
        if (viaArgFile) {
            Path argFile = work.resolve("cp.args");
            Files.writeString(argFile, "-cp \"" + cp.replace("\\", "\\\\") + "\"\n");
            cmd.add("@" + argFile);
        } else {
            cmd.add("-cp");
            cmd.add(cp);
        }
        cmd.add(ConsumerApp.class.getName());
        cmd.addAll(List.of(args));
        Path out = work.resolve("stdout.txt");
        Path err = work.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("the consumer JVM did not finish within 300 s; stderr: " + Files.readString(err));
        }
        int chars = cmd.stream().mapToInt(s -> s.length() + 1).sum();
        return new Run(p.exitValue(), Files.readAllLines(out), Files.readString(err), chars);
    }
}
