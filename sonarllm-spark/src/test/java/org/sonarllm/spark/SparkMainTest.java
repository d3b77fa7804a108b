package org.sonarllm.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.InvalidInputException;
import org.sonarllm.onnx.testing.TinyABundle;

/** The command line: one JSON line on success, one error line and exit 2 (input) or 1 (model) on failure. */
class SparkMainTest {
    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {}

    private Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int code = SparkMain.run(args, new PrintStream(err, true, StandardCharsets.UTF_8));
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void encodesAndPrintsOneJsonLine() throws IOException {
        Path corpus = Files.createDirectories(tmp.resolve("c"));
        Files.writeString(corpus.resolve("a.txt"), "One sentence. Two sentences.\n\nAnother document.");
        Path out = tmp.resolve("o");
        Run r = run("encode-corpus", "--model", TinyABundle.get().toString(), "--corpus", corpus.toString(), "--out",
                out.toString(), "--master", "local[2]", "--format", "jsonl", "--split-size", "1k");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(2, j.get("documents").asInt());
        assertEquals(5, j.get("sentences").asInt());
        assertEquals("jsonl", j.get("format").asText());
        assertEquals(1, r.out().strip().lines().count());

        Run again = run("encode-corpus", "--model", TinyABundle.get().toString(), "--corpus", corpus.toString(), "--out",
                out.toString());
        assertEquals(2, again.code());
        assertEquals("error: expected a new output directory, found a complete dataset at " + out
                + " (delete it to encode again)", again.err().strip());
    }

    @Test
    void badUsageInputAndModelsAreOneErrorLine() throws IOException {
        Run r = run("encode-corpus", "--corpus", "x", "--out", "y");
        assertEquals(2, r.code());
        assertEquals("error: Missing required option: '--model=BUNDLE'", r.err().strip());
        r = run("encode-corpus", "--model", "m", "--corpus", "x", "--out", "y", "--format", "csv");
        assertEquals(2, r.code());
        assertEquals("error: expected --format parquet or jsonl, found csv", r.err().strip());
        r = run("encode-corpus", "--model", "m", "--corpus", "x", "--out", "y", "--split-size", "-3m");
        assertEquals(2, r.code());
        assertEquals("error: expected a positive size such as 64m, 512k or 1048576, found '-3m'", r.err().strip());

        Path bad = Files.createDirectories(tmp.resolve("bad"));
        Files.writeString(bad.resolve("x.jsonl"), "{\"text\": \"Fine.\"}\n{\"txt\": \"typo\"}\n");
        r = run("encode-corpus", "--model", TinyABundle.get().toString(), "--corpus", bad.toString(), "--out",
                tmp.resolve("o1").toString(), "--master", "local[2]");
        assertEquals(2, r.code());
        assertEquals("error: x.jsonl:2: expected {\"text\": ...} or {\"sentences\": [...]}, found an object with fields [txt]",
                r.err().strip());

        r = run("encode-corpus", "--model", tmp.resolve("nomodel").toString(), "--corpus", bad.toString(), "--out",
                tmp.resolve("o2").toString(), "--master", "local[2]");
        assertEquals(1, r.code());
        assertEquals("error: " + tmp.resolve("nomodel") + ": expected a bundle directory with manifest.json, found nothing",
                r.err().strip());
    }

    @Test
    void sizesParse() {
        assertEquals(64L << 20, SparkMain.bytes("64m"));
        assertEquals(512L << 10, SparkMain.bytes("512K"));
        assertEquals(3L << 30, SparkMain.bytes("3g"));
        assertEquals(1000, SparkMain.bytes("1000"));
        assertThrows(InvalidInputException.class, () -> SparkMain.bytes("0"));
        assertThrows(InvalidInputException.class, () -> SparkMain.bytes("m"));
        assertThrows(InvalidInputException.class, () -> SparkMain.bytes("99999999999g"));
        assertTrue(SparkMain.bytes(" 2k ") == 2048);
    }
}
