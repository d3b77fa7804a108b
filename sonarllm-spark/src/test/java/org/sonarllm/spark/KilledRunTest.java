package org.sonarllm.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.InvalidInputException;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.training.data.EncodedDatasets;

/**
 * A run killed with SIGKILL after some tasks have committed leaves no dataset: nothing outside
 * Spark's {@code _temporary}, no {@code _SUCCESS}, no metadata; readers refuse the directory, and the
 * next run replaces it with a complete dataset.
 */
class KilledRunTest {
    @TempDir
    Path tmp;

    @Test
    void aKilledRunLeavesNoPartialDatasetAndTheNextRunReplacesIt() throws Exception {
        Path corpus = Files.createDirectories(tmp.resolve("corpus"));
        StringBuilder b = new StringBuilder();
        int docs = 1000;
        for (int i = 0; i < docs; i++) {
            b.append("{\"text\": \"Document ").append(i).append(" opens. It closes.\"}\n");
        }
        Files.writeString(corpus.resolve("c.jsonl"), b.toString(), StandardCharsets.UTF_8);
        Path out = tmp.resolve("out");

        // The child's class path goes in an @argfile: ONNX Runtime must not see a long command line.
        List<String> args = new ArrayList<>(List.of("-Xmx1g"));
        args.addAll(List.of(System.getProperty("sparkJvmOptions", "").split(" ")).stream().filter(s -> !s.isBlank()).toList());
        args.addAll(List.of("-cp", System.getProperty("java.class.path"), SparkMain.class.getName(), "encode-corpus",
                "--model", TinyABundle.get().toString(), "--corpus", corpus.toString(), "--out", out.toString(),
                "--master", "local[1]", "--split-size", "1024", "--format", "jsonl"));
        Path argfile = tmp.resolve("args");
        Files.write(argfile, args.stream().map(KilledRunTest::quote).toList());
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + argfile).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process p = pb.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (committedTaskOutputs(out) < 3) {
                assertTrue(p.isAlive(), "the run ended before it could be killed: " + Files.readString(tmp.resolve("child.log")));
                assertTrue(System.nanoTime() < deadline, "no task committed within 120 s");
                Thread.sleep(20);
            }
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        assertFalse(p.isAlive());
        assertTrue(committedTaskOutputs(out) >= 3);
        assertFalse(Files.exists(out.resolve("_SUCCESS")));
        assertFalse(Files.exists(out.resolve(DatasetFiles.METADATA)));
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(List.of("_temporary"), s.map(x -> x.getFileName().toString()).filter(n -> !n.endsWith(".crc")).toList());
        }
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> EncodedDatasets.read(out, 0, 1));
        assertTrue(e.getMessage().contains("incomplete"), e.getMessage());

        EncodeCorpusJob.Result r = EncodeCorpusJob.run(TestSpark.get(), EncodeCorpusJob.Options.builder(
                TinyABundle.get().toString(), corpus.toString(), out.toString()).format(EncodeCorpusJob.Format.JSONL).build());
        assertEquals(docs, r.documents());
        EncodedDatasets.Loaded d = EncodedDatasets.read(out, 0, 1);
        assertEquals(docs, d.ids().size());
        assertEquals("c.jsonl:1", d.ids().get(0));
        assertEquals("c.jsonl:" + docs, d.ids().get(docs - 1));
    }

    /** Part files of committed tasks (FileOutputCommitter v1: _temporary/0/task_.../part-*). */
    private static long committedTaskOutputs(Path out) throws IOException {
        Path attempt = out.resolve("_temporary/0");
        if (!Files.isDirectory(attempt)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(attempt)) {
            return s.filter(x -> x.getFileName().toString().startsWith("part-"))
                    .filter(x -> x.getParent().getFileName().toString().startsWith("task_")).count();
        } catch (java.io.UncheckedIOException | IOException ignored) {
            return 0; // a directory moved while walking
        }
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
