package org.sonarllm.training.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.InvalidInputException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.spark.SparkTestAccess;
import org.sonarllm.training.model.Batch;

/**
 * The training side: a corpus encoded by the Spark job and read back with {@link EncodedDatasets}
 * gives the {@link Dataset} that {@link CorpusPipeline} builds from the same corpus (same split,
 * same documents, embeddings within 1e-5, same target ids); incomplete or Parquet directories are
 * refused with a message saying what to do.
 */
class EncodedDatasetsTest {
    @TempDir
    Path tmp;

    @Test
    void theJobsOutputIsTheSingleJvmPipelinesDataset() throws IOException {
        Path corpus = SparkTestAccess.writeCorpus(tmp.resolve("corpus"));
        Files.delete(corpus.resolve("_hidden.txt")); // the single-JVM reader does not skip hidden files
        Path out = tmp.resolve("encoded");
        int maxSentences = 5;
        double validation = 0.3;
        long seed = 11;
        SparkTestAccess.encode(TinyABundle.get(), corpus, out, maxSentences, "jsonl");
        EncodedDatasets.Loaded got = EncodedDatasets.read(out, validation, seed);

        int limit = Bundle.readManifest(TinyABundle.get()).dimensions().maxPositions();
        Dataset want;
        try (SonarLlm llm = SonarLlm.load(TinyABundle.get())) {
            CorpusPipeline.Options o = new CorpusPipeline.Options(maxSentences, validation, seed, 256);
            want = CorpusPipeline.forBundle(llm, Language.ENGLISH, o, tmp.resolve("cache"))
                    .load(CorpusReader.read(corpus), (d, t) -> {});
        }
        assertTrue(want.validation().size() > 0 && want.train().size() > want.validation().size());
        assertSame(want.train(), got.dataset().train());
        assertSame(want.validation(), got.dataset().validation());
        assertEquals(limit, got.metadata().get("decoderLimit").asInt());
        assertEquals(maxSentences, got.metadata().get("maxSentences").asInt());
    }

    private static void assertSame(List<Batch.Document> want, List<Batch.Document> got) {
        assertEquals(want.size(), got.size());
        for (int d = 0; d < want.size(); d++) {
            Batch.Document w = want.get(d);
            Batch.Document g = got.get(d);
            assertEquals(w.embeddings().length, g.embeddings().length, "document " + d);
            for (int i = 0; i < w.embeddings().length; i++) {
                assertArrayEquals(w.embeddings()[i], g.embeddings()[i], 1e-5f, "document " + d + " sentence " + i);
                assertArrayEquals(w.tokens()[i], g.tokens()[i], "document " + d + " sentence " + i);
            }
        }
    }

    @Test
    void incompleteAndParquetDatasetsAreRefused() throws IOException {
        Path none = tmp.resolve("none");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> EncodedDatasets.read(none, 0, 1));
        assertTrue(e.getMessage().endsWith("found nothing"), e.getMessage());
        Path corpus = SparkTestAccess.writeCorpus(tmp.resolve("corpus"));
        Path pq = tmp.resolve("pq");
        SparkTestAccess.encode(TinyABundle.get(), corpus, pq, 32, "parquet");
        e = assertThrows(InvalidInputException.class, () -> EncodedDatasets.read(pq, 0, 1));
        assertEquals("expected a JSON-lines dataset at " + pq + ", found parquet (convert it with: sonarllm dataset-to-jsonl --in "
                + pq + " --out DIR)", e.getMessage());

        Path jl = tmp.resolve("jl");
        SparkTestAccess.toJsonl(pq, jl);
        Path direct = tmp.resolve("direct");
        SparkTestAccess.encode(TinyABundle.get(), corpus, direct, 32, "jsonl");
        EncodedDatasets.Loaded a = EncodedDatasets.read(jl, 0, 1);
        EncodedDatasets.Loaded b = EncodedDatasets.read(direct, 0, 1);
        assertEquals(b.ids(), a.ids());
        for (int d = 0; d < a.documents().size(); d++) {
            for (int i = 0; i < a.documents().get(d).embeddings().length; i++) {
                assertArrayEquals(b.documents().get(d).embeddings()[i], a.documents().get(d).embeddings()[i]);
                assertArrayEquals(b.documents().get(d).tokens()[i], a.documents().get(d).tokens()[i]);
            }
        }
        assertEquals("jsonl", a.metadata().get("output").asText());

        Files.delete(direct.resolve("_SUCCESS"));
        e = assertThrows(InvalidInputException.class, () -> EncodedDatasets.read(direct, 0, 1));
        assertTrue(e.getMessage().contains("incomplete"), e.getMessage());
        try (Stream<Path> s = Files.list(jl)) {
            Path part = s.filter(p -> p.getFileName().toString().startsWith("part-")).findFirst().orElseThrow();
            Files.writeString(part, "{\"id\": \"x\", \"sentences\": [\"a\", \"b\"], \"embeddings\": [[1.0], [2.0]], \"ids\": [[1], [2]]}\n");
        }
        e = assertThrows(InvalidInputException.class, () -> EncodedDatasets.read(jl, 0, 1));
        assertTrue(e.getMessage().contains(":1: expected embeddings of dimension 64, found 1"), e.getMessage());
    }
}
