package org.sonarllm.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.InvalidInputException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.segment.Segment;
import org.sonarllm.segment.SentenceSegmenter;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.training.data.CorpusReader;
import org.sonarllm.training.data.EncodedDatasets;
import org.sonarllm.training.model.Batch;

/**
 * The job in local[2] on a small corpus against the single-JVM encoder: every document of the
 * corpus reader, in order, with the expected ids, sentences (segmented, capped, end of sequence
 * last), embeddings (max abs diff <= 1e-5) and target ids; Parquet and JSON lines agree; two runs
 * write identical files.
 */
class EncodeCorpusJobTest {
    static final int MAX_SENTENCES = 6;
    static final int DECODER_LIMIT = 24;

    @TempDir
    static Path tmp;
    static Path corpus;
    static SonarLlm llm;
    static BundleManifest manifest;

    record Expected(String id, List<String> sentences) {}

    @BeforeAll
    static void setUp() throws IOException {
        corpus = TestCorpus.write(tmp.resolve("corpus"));
        llm = SonarLlm.load(TinyABundle.get());
        manifest = Bundle.readManifest(TinyABundle.get());
    }

    @AfterAll
    static void tearDown() {
        llm.close();
    }

    static EncodeCorpusJob.Builder options(String out) {
        return EncodeCorpusJob.Options.builder(TinyABundle.get().toString(), corpus.toString(), out)
                .maxSentences(MAX_SENTENCES).decoderLimit(DECODER_LIMIT).splitSize(64).batchSize(4).chunkSentences(16);
    }

    /** The corpus as the single-JVM reader and the project's segmenter see it, with independently derived ids. */
    static List<Expected> expected() throws IOException {
        SentenceSegmenter seg = SentenceSegmenters.forLanguage(Language.ENGLISH);
        List<Expected> out = new ArrayList<>();
        String a = Files.readString(corpus.resolve("a.txt"));
        int from = 0;
        for (CorpusReader.RawDocument r : CorpusReader.read(corpus.resolve("a.txt"))) {
            int at = a.indexOf(r.text(), from);
            assertTrue(at >= 0);
            from = at + r.text().length();
            int line = (int) a.substring(0, at).chars().filter(c -> c == '\n').count() + 1;
            add(out, "a.txt:" + line, r, seg);
        }
        List<String> lines = Files.readAllLines(corpus.resolve("sub/b.jsonl"));
        ObjectMapper om = new ObjectMapper();
        int k = 0;
        List<CorpusReader.RawDocument> b = CorpusReader.read(corpus.resolve("sub/b.jsonl"));
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode n = om.readTree(lines.get(i));
            add(out, n.has("id") ? n.get("id").asText() : "sub/b.jsonl:" + (i + 1), b.get(k++), seg);
        }
        assertEquals(b.size(), k);
        return out;
    }

    private static void add(List<Expected> out, String id, CorpusReader.RawDocument r, SentenceSegmenter seg) {
        List<String> s = new ArrayList<>();
        if (r.sentences() != null) {
            r.sentences().stream().filter(x -> !x.isBlank()).map(String::strip).forEach(s::add);
        } else {
            for (Segment x : seg.segment(r.text())) {
                s.add(x.text().strip());
            }
        }
        if (!s.isEmpty()) {
            out.add(new Expected(id, s.subList(0, Math.min(s.size(), MAX_SENTENCES - 1))));
        }
    }

    static List<Row> parquetInOrder(SparkSession spark, Path dir) {
        return spark.read().parquet(dir.toString())
                .select(functions.col("*"), functions.col("_metadata.file_name").as("_f"),
                        functions.col("_metadata.row_index").as("_r"))
                .orderBy("_f", "_r").drop("_f", "_r").collectAsList();
    }

    static List<Path> parts(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList();
        }
    }

    @Test
    void jsonLinesMatchTheSingleJvmEncoderDocumentByDocument() throws IOException {
        Path out = tmp.resolve("jsonl");
        EncodeCorpusJob.Result r = EncodeCorpusJob.run(TestSpark.get(),
                options(out.toString()).format(EncodeCorpusJob.Format.JSONL).build());
        List<Expected> want = expected();
        EncodedDatasets.Loaded got = EncodedDatasets.read(out, 0, 1);
        assertEquals(want.stream().map(Expected::id).toList(), got.ids());
        assertEquals(want.size(), r.documents());
        assertEquals(2, r.skipped()); // {"sentences": []} and {"text": "   "}
        long sentences = 0;
        float[] eosWant = llm.encoder().encode(manifest.eosText(), Language.ENGLISH);
        int[] eosIds = llm.tokenizer().decoderTarget(manifest.eosText(), Language.ENGLISH);
        double maxDiff = 0;
        int truncated = 0;
        List<String> lines = new ArrayList<>();
        for (Path p : parts(out)) {
            lines.addAll(Files.readAllLines(p));
        }
        assertEquals(want.size(), lines.size());
        ObjectMapper om = new ObjectMapper();
        for (int d = 0; d < want.size(); d++) {
            Expected e = want.get(d);
            Batch.Document doc = got.documents().get(d);
            JsonNode line = om.readTree(lines.get(d));
            List<String> sents = new ArrayList<>();
            line.get("sentences").forEach(x -> sents.add(x.asText()));
            assertEquals(e.sentences().size() + 1, sents.size());
            assertEquals(e.sentences(), sents.subList(0, sents.size() - 1));
            assertEquals(manifest.eosText(), sents.get(sents.size() - 1));
            List<float[]> ref = llm.encoder().encode(e.sentences(), Language.ENGLISH);
            for (int i = 0; i < ref.size(); i++) {
                maxDiff = Math.max(maxDiff, maxAbsDiff(ref.get(i), doc.embeddings()[i]));
                int[] t = llm.tokenizer().decoderTarget(e.sentences().get(i), Language.ENGLISH);
                int[] ids = Arrays.copyOf(t, Math.min(t.length - 1, DECODER_LIMIT - 2));
                truncated += ids.length < t.length - 1 ? 1 : 0;
                assertArrayEquals(ids, doc.tokens()[i], e.id() + " sentence " + i);
            }
            float[] eosGot = doc.embeddings()[ref.size()];
            assertArrayEquals(manifest.eosEmbedding(), eosGot);
            maxDiff = Math.max(maxDiff, maxAbsDiff(eosWant, eosGot));
            assertArrayEquals(Arrays.copyOf(eosIds, eosIds.length - 1), doc.tokens()[ref.size()]);
            sentences += sents.size();
        }
        assertTrue(maxDiff <= 1e-5, "max abs diff " + maxDiff);
        assertTrue(truncated >= 1, "the long sentence is cut");
        assertEquals(truncated, r.truncated());
        assertEquals(sentences, r.sentences());
        assertEquals(want.size(), got.metadata().get("documents").asInt());
        assertTrue(r.units() > 10, "small splits cut the files into many units, found " + r.units());
    }

    @Test
    void parquetHoldsTheSameRowsAndTwoRunsWriteIdenticalFiles() throws IOException {
        Path jsonl = tmp.resolve("jsonl-ref");
        EncodeCorpusJob.run(TestSpark.get(), options(jsonl.toString()).format(EncodeCorpusJob.Format.JSONL).build());
        EncodedDatasets.Loaded ref = EncodedDatasets.read(jsonl, 0, 1);
        Path p1 = tmp.resolve("parquet-1");
        Path p2 = tmp.resolve("parquet-2");
        EncodeCorpusJob.run(TestSpark.get(), options(p1.toString()).build());
        EncodeCorpusJob.run(TestSpark.get(), options(p2.toString()).shipModel(true).build());
        List<Row> rows = parquetInOrder(TestSpark.get(), p1);
        assertEquals(ref.ids().size(), rows.size());
        for (int d = 0; d < rows.size(); d++) {
            Row row = rows.get(d);
            assertEquals(ref.ids().get(d), row.getString(0));
            List<scala.collection.Seq<Float>> emb = row.getList(2);
            List<scala.collection.Seq<Integer>> ids = row.getList(3);
            Batch.Document want = ref.documents().get(d);
            assertEquals(want.embeddings().length, emb.size());
            for (int i = 0; i < emb.size(); i++) {
                List<Float> ev = scala.jdk.javaapi.CollectionConverters.asJava(emb.get(i));
                float[] e = new float[ev.size()];
                for (int j = 0; j < e.length; j++) {
                    e[j] = ev.get(j);
                }
                assertArrayEquals(want.embeddings()[i], e, "JSON lines round-trip floats exactly");
                assertArrayEquals(want.tokens()[i],
                        scala.jdk.javaapi.CollectionConverters.asJava(ids.get(i)).stream().mapToInt(Integer::intValue).toArray());
            }
        }
        List<Path> a = parts(p1);
        List<Path> b = parts(p2);
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).getFileName().toString().substring(0, 10), b.get(i).getFileName().toString().substring(0, 10));
            assertArrayEquals(Files.readAllBytes(a.get(i)), Files.readAllBytes(b.get(i)), a.get(i) + " vs " + b.get(i));
        }
    }

    @Test
    void aCompleteOutputIsNotOverwrittenAndBadInputFailsWithItsLine() throws IOException {
        Path out = tmp.resolve("taken");
        Files.createDirectories(out);
        Files.writeString(out.resolve("_SUCCESS"), "");
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> EncodeCorpusJob.run(TestSpark.get(), options(out.toString()).build()));
        assertTrue(e.getMessage().contains("complete dataset"), e.getMessage());

        Path bad = Files.createDirectories(tmp.resolve("bad"));
        Files.writeString(bad.resolve("x.jsonl"), "{\"text\": \"Fine.\"}\n{\"text\": 3}\n");
        Path badOut = tmp.resolve("bad-out");
        Exception f = assertThrows(Exception.class, () -> EncodeCorpusJob.run(TestSpark.get(),
                EncodeCorpusJob.Options.builder(TinyABundle.get().toString(), bad.toString(), badOut.toString()).build()));
        Failure failure = Failure.of(f);
        assertEquals(2, failure.exitCode());
        assertTrue(failure.message().startsWith("x.jsonl:2: expected {\"text\": ...}"), failure.message());
        assertFalse(Files.exists(badOut.resolve("_SUCCESS")));
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
