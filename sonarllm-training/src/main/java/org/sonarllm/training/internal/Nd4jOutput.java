package org.sonarllm.training.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps ND4J / SameDiff's console output away from the application's stdout and stderr. SameDiff 1.0.0-M2.1
 * prints with {@code System.out} / {@code System.err} (graph summaries and "Unable to resolve attribute"
 * lines while importing an ONNX graph, "Added differentiated op" while building gradients: several hundred
 * lines per training run). While {@link #quietly} runs, {@code System.out} and {@code System.err} are
 * replaced by streams that send what the calling thread (and threads it starts, e.g. data-parallel
 * replicas) prints to the SLF4J logger {@value #LOGGER} at DEBUG, line by line, and pass what any other
 * thread prints through unchanged. Nested and concurrent uses share one installation (reference counted);
 * the original streams come back when the last use ends.
 *
 * <p>ND4J's own SLF4J loggers ({@code org.nd4j.*}, some at WARN) are the application's to configure.
 *
 * <pre>{@code
 * SameDiff sd = Nd4jOutput.quietly(() -> new OnnxFrameworkImporter().runImport(file, Map.of(), false));
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class Nd4jOutput {
    /** The logger that receives the captured lines. */
    public static final String LOGGER = "org.sonarllm.training.nd4j";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
    private static final InheritableThreadLocal<Boolean> CAPTURED = new InheritableThreadLocal<>();
    private static final ThreadLocal<ByteArrayOutputStream> LINE = ThreadLocal.withInitial(ByteArrayOutputStream::new);
    private static final Object LOCK = new Object();
    private static int users;
    private static volatile boolean active;
    private static PrintStream originalOut;
    private static PrintStream originalErr;
    private static PrintStream installedOut;
    private static PrintStream installedErr;

    private Nd4jOutput() {}

    /**
     * Runs {@code body} with its console output sent to SLF4J.
     *
     * @param body the work
     * @param <T> its result
     * @return what {@code body} returns
     */
    public static <T> T quietly(Supplier<T> body) {
        Boolean outer = CAPTURED.get();
        enter();
        CAPTURED.set(Boolean.TRUE);
        try {
            return body.get();
        } finally {
            CAPTURED.set(outer);
            flushLine();
            exit();
        }
    }

    /**
     * Runs {@code body} with its console output sent to SLF4J.
     *
     * @param body the work
     */
    public static void quietly(Runnable body) {
        quietly(() -> {
            body.run();
            return null;
        });
    }

    private static void enter() {
        synchronized (LOCK) {
            if (users++ == 0) {
                originalOut = System.out;
                originalErr = System.err;
                installedOut = new PrintStream(new Router(originalOut), true, StandardCharsets.UTF_8);
                installedErr = new PrintStream(new Router(originalErr), true, StandardCharsets.UTF_8);
                System.setOut(installedOut);
                System.setErr(installedErr);
                active = true;
            }
        }
    }

    private static void exit() {
        synchronized (LOCK) {
            if (--users == 0) {
                active = false;
                // put the originals back unless someone else replaced our streams meanwhile
                if (System.out == installedOut) {
                    System.setOut(originalOut);
                }
                if (System.err == installedErr) {
                    System.setErr(originalErr);
                }
                originalOut = originalErr = installedOut = installedErr = null;
            }
        }
    }

    private static void flushLine() {
        ByteArrayOutputStream line = LINE.get();
        if (line.size() > 0) {
            LOG.debug("{}", line.toString(StandardCharsets.UTF_8));
            line.reset();
        }
    }

    /**
     * Whether the current thread's output is captured: it runs inside {@link #quietly} or was started from
     * such a thread, and a use is active (threads that outlive the use, such as a shared pool's workers,
     * print normally again afterwards).
     */
    private static boolean captured() {
        return active && Boolean.TRUE.equals(CAPTURED.get());
    }

    /** Captured threads' bytes go to the logger a line at a time; everyone else's to the original stream. */
    private static final class Router extends OutputStream {
        private final PrintStream passThrough;

        Router(PrintStream passThrough) {
            this.passThrough = passThrough;
        }

        @Override
        public void write(int b) {
            if (!captured()) {
                passThrough.write(b);
                return;
            }
            if (b == '\n') {
                flushLine();
            } else if (b != '\r') {
                LINE.get().write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (!captured()) {
                passThrough.write(b, off, len);
                return;
            }
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }

        @Override
        public void flush() throws IOException {
            if (!captured()) {
                passThrough.flush();
            }
        }
    }
}
