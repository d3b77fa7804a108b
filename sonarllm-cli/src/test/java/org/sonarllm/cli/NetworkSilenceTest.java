package org.sonarllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.bundle.DefaultBundle;

/**
 * The SDK makes no network connection: the CLI runs in a child JVM under {@code strace -f -e
 * trace=network} doing its main jobs on the embedded default model ({@code generate}, {@code encode},
 * {@code decode}, {@code tokenize}), and {@link NetTrace} reads the trace. AF_UNIX sockets are allowed
 * (glibc asks the local nscd socket for the user's home directory). Internet sockets are not, with one
 * exception that every JVM has: when NIO first reads a file, the JDK's libnet creates and closes three
 * probe sockets (AF_INET, AF_INET6, AF_INET) to learn whether IPv4/IPv6 exist, without connecting,
 * binding or sending. So the test asserts that (1) no call carries an AF_INET/AF_INET6 address and no
 * internet socket is connected, bound, listened on, sent or received on (a DNS lookup would be both),
 * and (2) the internet sockets created are exactly those of {@link NioBaseline}, a program that only
 * reads a file. A control run of {@link Probe}, which opens a loopback TCP socket, shows that the same
 * tracing catches internet use. Fails when strace is missing (Debian package {@code strace}; {@code
 * .ci/run} installs it). The class path goes through an @argfile: ONNX Runtime crashes on a JVM command
 * line longer than about 4 KB.
 */
class NetworkSilenceTest {
    private static final long TIMEOUT_S = 300;
    private static final String PROMPT = "It is a truth universally acknowledged, that a single man in possession"
            + " of a good fortune, must be in want of a wife.";

    @TempDir
    static Path tmp;

    private static Path strace;
    private static Path argFile;
    private static Path bundle;

    /** The control: opens a TCP socket on the loopback interface and closes it. */
    public static final class Probe {
        public static void main(String[] args) throws IOException {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                System.out.println("listening on " + s.getLocalPort());
            }
        }
    }

    /** The baseline: a JVM that only reads a file through NIO (which loads the JDK's libnet). */
    public static final class NioBaseline {
        public static void main(String[] args) throws IOException {
            System.out.println(Files.readAllBytes(Path.of(args[0])).length);
        }
    }

    @BeforeAll
    static void setUp() throws IOException, URISyntaxException {
        strace = findOnPath("strace");
        assertNotNull(strace, "strace not found on PATH: this test needs it (apt-get install -y strace)");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        argFile = tmp.resolve("classpath.args");
        Files.writeString(argFile, "-cp \"" + cp.replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n",
                StandardCharsets.UTF_8);
        // the embedded default bundle (inside the sonarllm-default-model jar: extracted once by DefaultBundle)
        bundle = DefaultBundle.locate().orElseThrow(() -> new AssertionError("embedded default bundle on the class path"));
    }

    private static Path findOnPath(String tool) {
        String path = System.getenv("PATH");
        for (String d : (path == null ? "/usr/bin:/bin" : path).split(File.pathSeparator)) {
            Path p = Path.of(d, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Output of one traced child JVM. */
    record Traced(int code, String out, String err, List<String> trace) {
        NetTrace net() {
            return new NetTrace(trace);
        }
    }

    private static Traced traced(String stdin, String mainClass, String... args) throws Exception {
        Path traceFile = Files.createTempFile(tmp, "net", ".trace");
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Path in = Files.createTempFile(tmp, "in", ".txt");
        Files.writeString(in, stdin, StandardCharsets.UTF_8);
        List<String> cmd = new ArrayList<>(List.of(strace.toString(), "-f", "-qq", "-e", "trace=network", "-o",
                traceFile.toString(), Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "@" + argFile, mainClass));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(in.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().remove(DefaultBundle.ENV); // the embedded model, whatever the caller's environment
        Process p = pb.start();
        if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("traced " + String.join(" ", args) + " did not finish within " + TIMEOUT_S + " s");
        }
        return new Traced(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8), Files.readAllLines(traceFile, StandardCharsets.UTF_8));
    }

    private static List<String> baseline;

    private static synchronized List<String> baseline() throws Exception {
        if (baseline == null) {
            Traced b = traced("", NioBaseline.class.getName(), argFile.toString());
            assertEquals(0, b.code(), b.err());
            assertEquals(List.of(), b.net().violations(), "the baseline uses the network");
            baseline = b.net().internetSockets();
        }
        return baseline;
    }

    private static Traced cli(String stdin, String... args) throws Exception {
        Traced t = traced(stdin, Main.class.getName(), args);
        assertEquals(0, t.code(), String.join(" ", args) + " failed: " + t.err());
        NetTrace net = t.net();
        assertEquals(List.of(), net.violations(), "sonarllm " + args[0] + " used the network");
        assertEquals(baseline(), net.internetSockets(), "sonarllm " + args[0]
                + " created internet sockets beyond the JDK's own probes");
        return t;
    }

    @Test
    void controlProbeIsCaught() throws Exception {
        Traced t = traced("", Probe.class.getName());
        assertEquals(0, t.code(), t.err());
        List<String> v = t.net().violations();
        assertTrue(v.stream().anyMatch(l -> l.contains("bind(")) && v.stream().anyMatch(l -> l.contains("listen(")),
                "the loopback server socket of the probe was not caught:\n" + String.join("\n", t.trace()));
    }

    @Test
    void generateEncodeDecodeAndTokenizeMakeNoNetworkConnection() throws Exception {
        Traced gen = cli("", "generate", "--max-sentences", "2", "--max-tokens", "24", PROMPT);
        assertTrue(gen.out().lines().filter(l -> !l.isBlank()).count() >= 1, "generated: " + gen.out());

        Traced enc = cli("Emma was not sorry.\nShe walked out alone.\n", "encode", "--model", bundle.toString(),
                "--lang", "eng_Latn");
        List<String> embeddings = enc.out().lines().filter(l -> l.contains("\"embedding\"")).toList();
        assertEquals(2, embeddings.size(), enc.out());

        Traced dec = cli(String.join("\n", embeddings) + "\n", "decode", "--model", bundle.toString(), "--lang",
                "eng_Latn", "--greedy", "--max-tokens", "24");
        assertEquals(2, dec.out().lines().filter(l -> l.contains("\"text\"")).count(), dec.out());

        Traced tok = cli("He could not help it.\n", "tokenize", "--tokenizer", bundle.resolve("tokenizer").toString(),
                "--lang", "eng_Latn");
        assertTrue(tok.out().contains("\"ids\""), tok.out());
    }
}
