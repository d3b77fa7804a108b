package org.sonarllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.testing.TinyA;

/** convert, encode and decode through the CLI against tiny-a expected values. */
class ModelCommandsTest {
    @TempDir
    Path tmp;

    @Test
    void convertWritesALoadableBundle() throws Exception {
        Path src = TinyA.dir();
        Path out = tmp.resolve("bundle");
        MainTest.Result r = MainTest.run("", "convert", "--encoder", src.resolve("encoder").toString(), "--decoder",
                src.resolve("decoder").toString(), "--tokenizer", src.resolve("tokenizer").toString(), "--out",
                out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode line = r.lines().get(0);
        assertEquals(64, line.get("dimensions").get("model").asInt());
        assertEquals(2, line.get("formatVersion").asInt());
        assertTrue(Files.exists(out.resolve("manifest.json")));
        // progress on stderr: each weights file from 0% to 100%, then the end-of-sequence embedding
        for (String f : List.of("encoder.safetensors", "decoder.safetensors")) {
            assertTrue(r.err().contains("convert: " + f + " 100% ("), r.err());
        }
        assertTrue(r.err().contains("convert: end-of-sequence embedding done"), r.err());
        // converting into a non-empty directory is a usage error
        MainTest.Result again = MainTest.run("", "convert", "--encoder", src.resolve("encoder").toString(),
                "--decoder", src.resolve("decoder").toString(), "--tokenizer", src.resolve("tokenizer").toString(),
                "--out", out.toString());
        assertEquals(2, again.code());
        assertEquals(1, again.errLines().size(), again.err());
        assertTrue(again.err().contains("not empty"), again.err());
    }

    @Test
    void encodeThenDecodeMatchesExpected() throws Exception {
        String bundle = TinyABundle.get().toString();
        JsonNode cases = TinyA.expected().get("a_tokenization").get("cases");
        float[][] exp = TinyA.floats2(TinyA.expected().get("b_encoder").get("embeddings"));
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < exp.length; i++) {
            in.append(cases.get(i).get("text").asText()).append('\n');
        }
        MainTest.Result r = MainTest.run(in.toString(), "encode", "--model", bundle, "--lang", "eng_Latn",
                "--batch-size", "4");
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = r.lines();
        assertEquals(exp.length, lines.size());
        for (int i = 0; i < exp.length; i++) {
            assertEquals(cases.get(i).get("text").asText(), lines.get(i).get("text").asText());
            float[] got = TinyA.floats(lines.get(i).get("embedding"));
            for (int j = 0; j < got.length; j++) {
                assertEquals(exp[i][j], got[j], 1e-4);
            }
        }
        // decode: greedy d cases and beam e cases
        JsonNode d = TinyA.expected().get("d_greedy").get("cases");
        StringBuilder din = new StringBuilder();
        for (JsonNode k : d) {
            din.append("{\"embedding\":").append(k.get("embedding")).append("}\n");
        }
        MainTest.Result g = MainTest.run(din.toString(), "decode", "--model", bundle, "--lang", "eng_Latn", "--greedy",
                "--max-tokens", "20");
        assertEquals(0, g.code(), g.err());
        for (int i = 0; i < d.size(); i++) {
            JsonNode l = g.lines().get(i);
            assertArrayEquals(TinyA.ints(d.get(i).get("generated_ids")), TinyA.ints(l.get("ids")));
            assertEquals(d.get(i).get("text").asText(), l.get("text").asText());
        }
        JsonNode e = TinyA.expected().get("e_beam").get("cases");
        StringBuilder ein = new StringBuilder();
        for (JsonNode k : e) {
            ein.append("{\"embedding\":").append(k.get("embedding")).append("}\n");
        }
        MainTest.Result b = MainTest.run(ein.toString(), "decode", "--model", bundle, "--lang", "eng_Latn",
                "--max-tokens", "20");
        assertEquals(0, b.code(), b.err());
        for (int i = 0; i < e.size(); i++) {
            JsonNode l = b.lines().get(i);
            assertArrayEquals(TinyA.ints(e.get(i).get("best_ids")), TinyA.ints(l.get("ids")));
            assertEquals(e.get(i).get("best_score").asDouble(), l.get("score").asDouble(), 1e-4);
        }
    }

    @Test
    void badInputIsOneLineWithExitCode2() {
        String bundle = TinyABundle.get().toString();
        MainTest.Result r = MainTest.run("{\"embedding\":[1,2,3]}\n", "decode", "--model", bundle, "--lang", "eng_Latn");
        assertEquals(2, r.code());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("stdin line 1: expected an embedding of dimension 64, found 3"), r.err());
        r = MainTest.run("not json\n", "decode", "--model", bundle, "--lang", "eng_Latn");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("stdin line 1: expected a JSON object"), r.err());
        r = MainTest.run("Hello.\n\n", "encode", "--model", bundle, "--lang", "eng_Latn");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("stdin line 2"), r.err());
        r = MainTest.run("Hello.\n", "encode", "--model", tmp.resolve("nope").toString(), "--lang", "eng_Latn");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("model bundle directory not found"), r.err());
        r = MainTest.run("Hello.\n", "encode", "--model", bundle, "--lang", "english");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("eng_Latn"), r.err());
        r = MainTest.run("", "decode", "--model", bundle, "--lang", "eng_Latn", "--greedy", "--beam", "3");
        assertEquals(2, r.code());
    }
}
