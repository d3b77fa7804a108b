package org.sonarllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.onnx.testing.TinyABundle;

/** {@code bench}: the sha256 of ids by hand, and one run over the tiny-a bundle. */
class BenchCommandTest {
    @TempDir
    Path tmp;

    @Test
    void idsHashIsSha256OfSpaceSeparatedLines() {
        // printf '5 6 2\n7\n' | sha256sum
        assertEquals("ecf05f6e1150557f0b462362dcbf595fb6ee824a1bfcfc28532e16aaf0a0534c",
                InferenceBench.idsSha256(List.of(new int[] {5, 6, 2}, new int[] {7})));
        // printf '' | sha256sum
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                InferenceBench.idsSha256(List.of()));
        // printf '1\n' | sha256sum
        assertEquals("4355a46b19d348dc2f57c046f8ef63d4538ebb936000f3c9ee954a27460dd865",
                InferenceBench.idsSha256(List.of(new int[] {1})));
    }

    @Test
    void benchOverTinyAGivesTheSameIdsAtEveryBatchSize() throws Exception {
        Path dump = tmp.resolve("dump");
        MainTest.Result r = MainTest.run("", "bench", "--model", TinyABundle.get().toString(), "--tasks",
                "encode,decode", "--threads", "1", "--warmup", "0", "--repeats", "1", "--encode-sentences", "6",
                "--decode-sentences", "3", "--decode-batches", "1,3", "--encode-batches", "1,4", "--max-tokens", "8",
                "--dump", dump.toString());
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = r.lines();
        assertEquals("load", lines.get(0).get("task").asText());
        List<JsonNode> dec = lines.stream().filter(l -> l.get("task").asText().equals("decode")).toList();
        assertEquals(4, dec.size());
        for (JsonNode d : dec) {
            assertTrue(d.get("tokens_per_s").asDouble() > 0, d.toString());
            assertTrue(d.get("peak_rss_mb").asDouble() > 0, d.toString());
        }
        // batching never changes the output: batch 1 and batch 3 decode the same ids
        assertEquals(dec.get(0).get("ids_sha256"), dec.get(1).get("ids_sha256"));
        assertEquals(dec.get(2).get("ids_sha256"), dec.get(3).get("ids_sha256"));
        JsonNode java = new ObjectMapper().readTree(dump.resolve("java.json").toFile());
        assertEquals(dec.get(0).get("ids_sha256").asText(), java.get("decode").get("greedy/1").asText());
        JsonNode inputs = new ObjectMapper().readTree(dump.resolve("inputs.json").toFile());
        assertEquals(6, inputs.get("encode").get("ids").size());
        assertEquals(3, inputs.get("decode").get("embeddings").size());
        assertEquals(64, java.get("encode").get("embeddings").get(0).size());
    }
}
