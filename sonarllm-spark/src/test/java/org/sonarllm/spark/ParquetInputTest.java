package org.sonarllm.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.InvalidInputException;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.segment.Segment;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.training.data.EncodedDatasets;
import org.sonarllm.training.model.Batch;

/**
 * Parquet input: a text column read row group by row group (one task each), ids from an {@code id}
 * column where present, else {@code file:row}; null texts are skipped and counted; a file without the
 * text column is refused before any task runs.
 */
class ParquetInputTest {
    @TempDir
    Path tmp;

    /** Writes one Parquet file (Spark's writer, small row groups) and returns it. */
    private Path parquet(SparkSession spark, Path dir, StructType schema, List<Row> rows) throws IOException {
        spark.createDataFrame(rows, schema).coalesce(1).write().option("parquet.block.size", 2048)
                .option("parquet.page.size.row.check.min", 2).option("parquet.page.size.row.check.max", 4)
                .parquet(dir.toString());
        try (Stream<Path> s = Files.list(dir)) {
            Path part = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            Path named = dir.resolveSibling(dir.getFileName() + ".parquet");
            Files.move(part, named);
            return named;
        }
    }

    @Test
    void rowGroupsAreUnitsAndIdsComeFromTheIdColumnOrTheRow() throws IOException {
        SparkSession spark = TestSpark.get();
        Path corpus = Files.createDirectories(tmp.resolve("corpus"));
        StructType withId = new StructType().add("id", DataTypes.LongType, true).add("text", DataTypes.StringType, true)
                .add("other", DataTypes.IntegerType, true);
        List<Row> rows = new ArrayList<>();
        List<String> wantIds = new ArrayList<>();
        List<String> wantTexts = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            String text = i % 17 == 5 ? null : "Row " + i + " has words enough to fill pages. And a second sentence " + i + ".";
            Long id = i % 3 == 0 ? null : 1000L + i;
            rows.add(RowFactory.create(id, text, i));
            if (text != null) {
                wantIds.add(id == null ? "a.parquet:" + (i + 1) : String.valueOf(id));
                wantTexts.add(text);
            }
        }
        parquet(spark, corpus.resolve("a"), withId, rows);
        StructType noId = new StructType().add("body", DataTypes.StringType, false);
        List<Row> rows2 = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            rows2.add(RowFactory.create("Plain " + i + "."));
            wantIds.add("b.parquet:" + (i + 1));
            wantTexts.add("Plain " + i + ".");
        }
        Path b = parquet(spark, corpus.resolve("b"), noId.add("text", DataTypes.StringType, false), 
                rows2.stream().map(r -> RowFactory.create(r.getString(0), r.getString(0))).toList());
        assertTrue(Files.exists(b));

        Path out = tmp.resolve("out");
        EncodeCorpusJob.Result r = EncodeCorpusJob.run(spark, EncodeCorpusJob.Options.builder(TinyABundle.get().toString(),
                corpus.toString(), out.toString()).format(EncodeCorpusJob.Format.JSONL).build());
        assertTrue(r.units() > 2, "several row groups, found " + r.units() + " units");
        assertEquals(wantIds.size(), r.documents());
        assertEquals(60 / 17 + 1, r.skipped());
        EncodedDatasets.Loaded d = EncodedDatasets.read(out, 0, 1);
        assertEquals(wantIds, d.ids());
        try (SonarLlm llm = SonarLlm.load(TinyABundle.get())) {
            var seg = SentenceSegmenters.forLanguage(Language.ENGLISH);
            for (int i = 0; i < wantTexts.size(); i++) {
                List<String> s = seg.segment(wantTexts.get(i)).stream().map(Segment::text).toList();
                List<float[]> e = llm.encoder().encode(s, Language.ENGLISH);
                Batch.Document got = d.documents().get(i);
                assertEquals(s.size() + 1, got.embeddings().length);
                for (int k = 0; k < s.size(); k++) {
                    assertTrue(EncodeCorpusJobTest.maxAbsDiff(e.get(k), got.embeddings()[k]) <= 1e-5);
                }
                assertArrayEquals(llm.encoder().encode("End of sequence.", Language.ENGLISH), got.embeddings()[s.size()], 1e-5f);
            }
        }

        InvalidInputException e = assertThrows(InvalidInputException.class, () -> EncodeCorpusJob.run(spark,
                EncodeCorpusJob.Options.builder(TinyABundle.get().toString(), corpus.toString(), tmp.resolve("o2").toString())
                        .textColumn("body2").build()));
        assertTrue(e.getMessage().startsWith("a.parquet: expected a text column 'body2', found columns [id, text, other]"),
                e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> EncodeCorpusJob.run(spark,
                EncodeCorpusJob.Options.builder(TinyABundle.get().toString(), corpus.toString(), tmp.resolve("o3").toString())
                        .textColumn("other").build()));
        assertTrue(e.getMessage().startsWith("a.parquet: expected column 'other' to hold strings"), e.getMessage());
    }
}
