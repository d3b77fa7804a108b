package org.sonarllm.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plain {@code java -cp <long class path> App} must start ONNX Runtime (issue 15 section 5): ONNX
 * Runtime 1.29.0's Java build dies with SIGSEGV (exit 139, no log) while creating its environment when
 * the JVM command line is longer than about 4 KB; the version this build uses must not. The class
 * path is the consumer's, padded with entries that do not exist to more than 8 KB, on the command
 * line itself (no {@code @argfile}).
 */
class LongCommandLineTest {
    @TempDir
    Path work;

    @Test
    void aClassPathOver8KbOnTheCommandLineStartsOnnxRuntimeAndGenerates() throws Exception {
        List<String> cp = new ArrayList<>(ConsumerJvm.classPath());
        int chars = String.join(":", cp).length();
        for (int i = 0; chars <= 9000; i++) {
            String pad = "/nonexistent/sonarllm-it/padding/entry-" + i + ".jar";
            cp.add(pad);
            chars += pad.length() + 1;
        }
        ConsumerJvm.Run r = ConsumerJvm.run(cp, false, work, "2", ConsumerProjectTest.PROMPT);
        assertTrue(r.commandLineChars() > 8192, "command line of " + r.commandLineChars() + " characters");
        assertEquals(0, r.exit(), "exit code with a " + r.commandLineChars() + "-character command line on ONNX Runtime "
                + System.getProperty("it.onnxruntime.version") + " (139 = SIGSEGV); stderr:\n" + r.err());
        assertEquals(2, r.lines("sentence: ").size(), r.out().toString());
    }
}
