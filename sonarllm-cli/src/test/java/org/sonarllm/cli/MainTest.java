package org.sonarllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.testing.TinyA;

/** Runs the CLI in-process: stdin in, JSON lines out, one-line errors with exit codes. */
class MainTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Result(int code, String out, String err) {
        List<JsonNode> lines() throws Exception {
            List<JsonNode> out = new ArrayList<>();
            for (String l : this.out.split("\n")) {
                if (!l.isEmpty()) {
                    out.add(JSON.readTree(l));
                }
            }
            return out;
        }

        List<String> errLines() {
            return err.isEmpty() ? List.of() : List.of(err.split("\n"));
        }
    }

    static Result run(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), out, err);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String tokenizerDir() {
        return TinyA.dir().resolve("tokenizer").toString();
    }

    @Test
    void segmentPrintsOneLinePerSentenceWithOffsets() throws Exception {
        String text = "Mr. Darcy arrived at 5 p.m. on Jan. 3rd. He left.\n";
        Result r = run(text, "segment", "--lang", "eng_Latn");
        assertEquals(0, r.code(), r.err());
        assertEquals("{\"text\":\"Mr. Darcy arrived at 5 p.m. on Jan. 3rd.\",\"start\":0,\"end\":40}\n"
                + "{\"text\":\"He left.\",\"start\":41,\"end\":49}\n", r.out());
        assertEquals("", r.err());
        // default language is English
        assertEquals(r.out(), run(text, "segment").out());
    }

    @Test
    void segmentKeepsUnicode() throws Exception {
        String text = "Caf\u00e9 \uD83D\uDE00 ok. \u4E2D\u6587\u3002Bad \uFFFD here.";
        Result r = run(text, "segment");
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = r.lines();
        assertEquals(3, lines.size(), r.out());
        for (JsonNode l : lines) {
            assertEquals(text.substring(l.get("start").asInt(), l.get("end").asInt()), l.get("text").asText());
        }
        assertTrue(r.out().contains("\uD83D\uDE00"), "emoji written as UTF-8, not escaped");
    }

    @Test
    void jsonLinesEscapeLoneSurrogatesOnly() throws Exception {
        String line = JsonLines.toLine(new SegmentCommand.Line("a\uD800b\uD83D\uDE00c\uDC00", 0, 7));
        assertEquals("{\"text\":\"a\\uD800b\uD83D\uDE00c\\uDC00\",\"start\":0,\"end\":7}", line);
        assertEquals("a\uD800b\uD83D\uDE00c\uDC00", JSON.readTree(line).get("text").asText());
    }

    @Test
    void segmentBlankInputPrintsNothing() {
        Result r = run(" \n\n ", "segment");
        assertEquals(0, r.code());
        assertEquals("", r.out());
    }

    @Test
    void tokenizeMatchesTinyAEncoderAndTargetIds() throws Exception {
        JsonNode cases = TinyA.expected().get("a_tokenization").get("cases");
        StringBuilder in = new StringBuilder();
        for (JsonNode c : cases) {
            in.append(c.get("text").asText()).append('\n');
        }
        Result enc = run(in.toString(), "tokenize", "--tokenizer", tokenizerDir(), "--lang", "eng_Latn");
        assertEquals(0, enc.code(), enc.err());
        Result tgt = run(in.toString().replace("\n", "\r\n"), "tokenize", "--tokenizer", tokenizerDir(),
                "--lang", "eng_Latn", "--target");
        assertEquals(0, tgt.code(), tgt.err());
        List<JsonNode> e = enc.lines();
        List<JsonNode> t = tgt.lines();
        assertEquals(cases.size(), e.size());
        assertEquals(cases.size(), t.size());
        for (int i = 0; i < cases.size(); i++) {
            assertArrayEquals(TinyA.ints(cases.get(i).get("encoder_ids")), TinyA.ints(e.get(i).get("ids")));
            assertArrayEquals(TinyA.ints(cases.get(i).get("decoder_target_ids")), TinyA.ints(t.get(i).get("ids")));
        }
        for (JsonNode c : TinyA.expected().get("a_tokenization").get("other_languages")) {
            Result o = run(c.get("text").asText(), "tokenize", "--tokenizer", tokenizerDir(),
                    "--lang", c.get("lang").asText());
            assertArrayEquals(TinyA.ints(c.get("encoder_ids")), TinyA.ints(o.lines().get(0).get("ids")));
        }
    }

    @Test
    void unknownLanguageIsUsageErrorNamingCloseCodes() {
        for (String cmd : new String[] {"segment", "tokenize"}) {
            Result r = cmd.equals("segment") ? run("Hi.", "segment", "--lang", "eng_latn")
                    : run("Hi.", "tokenize", "--tokenizer", tokenizerDir(), "--lang", "eng_latn");
            assertEquals(2, r.code());
            assertEquals("", r.out());
            assertEquals(1, r.errLines().size(), r.err());
            assertTrue(r.err().startsWith("error: "), r.err());
            assertTrue(r.err().contains("eng_Latn"), r.err());
        }
    }

    @Test
    void missingTokenizerDirectoryIsCleanError() {
        Result r = run("Hi.", "tokenize", "--tokenizer", "/no/such/dir", "--lang", "eng_Latn");
        assertEquals(2, r.code());
        assertEquals(List.of("error: tokenizer directory not found: /no/such/dir"), r.errLines());
    }

    @Test
    void corruptTokenizerModelIsOneLineFailure(@TempDir Path tmp) throws Exception {
        Path src = TinyA.dir().resolve("tokenizer");
        Files.copy(src.resolve("languages.txt"), tmp.resolve("languages.txt"));
        Files.write(tmp.resolve("sentencepiece.bpe.model"), new byte[] {(byte) 0xff, 1, 2, 3, 4, 5, 6, 7});
        Result r = run("Hi.", "tokenize", "--tokenizer", tmp.toString(), "--lang", "eng_Latn");
        assertEquals(1, r.code());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("error: corrupt SentencePiece model " + tmp.resolve("sentencepiece.bpe.model")),
                r.err());
        Result v = run("Hi.", "--verbose", "tokenize", "--tokenizer", tmp.toString(), "--lang", "eng_Latn");
        assertEquals(1, v.code());
        assertTrue(v.errLines().size() > 3, "stack trace under --verbose");
        assertTrue(v.err().contains("at org.sonarllm.tokenize"), v.err());
        Result v2 = run("Hi.", "tokenize", "--tokenizer", tmp.toString(), "--lang", "eng_Latn", "--verbose");
        assertTrue(v2.errLines().size() > 3, "--verbose after the subcommand too");
    }

    @Test
    void blankInputLineIsBadInput() {
        Result r = run("He could not help it.\n   \nMore.\n", "tokenize", "--tokenizer", tokenizerDir(),
                "--lang", "eng_Latn");
        assertEquals(2, r.code());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("error: stdin line 2: text must not be empty"), r.err());
    }

    @Test
    void usageErrors() {
        Result none = run("");
        assertEquals(2, none.code());
        assertEquals(1, none.errLines().size(), none.err());
        assertTrue(none.err().contains("segment, tokenize"), none.err());
        Result unknownOpt = run("x", "segment", "--bogus");
        assertEquals(2, unknownOpt.code());
        assertEquals(1, unknownOpt.errLines().size(), unknownOpt.err());
        assertTrue(unknownOpt.err().startsWith("error: Unknown option: '--bogus'"), unknownOpt.err());
        Result missing = run("x", "tokenize", "--lang", "eng_Latn");
        assertEquals(2, missing.code());
        assertEquals(1, missing.errLines().size(), missing.err());
        assertTrue(missing.err().contains("--tokenizer"), missing.err());
        Result unknownCmd = run("x", "frobnicate");
        assertEquals(2, unknownCmd.code());
        assertEquals(1, unknownCmd.errLines().size(), unknownCmd.err());
    }

    @Test
    void helpListsCommands() {
        Result r = run("", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("segment") && r.out().contains("tokenize"), r.out());
        assertEquals(Main.COMMANDS.size(), Main.commandNames().size());
        Result sub = run("", "tokenize", "--help");
        assertEquals(0, sub.code());
        assertTrue(sub.out().contains("--target"), sub.out());
    }
}
