package org.sonarllm.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.sonarllm.InvalidInputException;

/**
 * Converts a Parquet dataset written by {@link EncodeCorpusJob} to the JSON-lines layout that
 * {@code sonarllm train --dataset} reads without Spark or Hadoop: the same rows in the same order
 * (sorted by part file and row index within it), committed by Spark's committer, with the metadata
 * file copied ({@code output} set to {@code jsonl}).
 *
 * <pre>{@code
 * long docs = DatasetConverter.toJsonl(spark, "encoded-parquet/", "encoded-jsonl/");
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class DatasetConverter {
    private DatasetConverter() {}

    /**
     * @param spark the session
     * @param in a complete Parquet dataset
     * @param out a new directory
     * @return documents written
     * @throws InvalidInputException if {@code in} is not a complete Parquet dataset or {@code out} is taken
     */
    public static long toJsonl(SparkSession spark, String in, String out) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        try {
            Map<String, Object> meta = new LinkedHashMap<>(DatasetFiles.readMetadata(conf, in));
            if (!"parquet".equals(meta.get("output"))) {
                throw new InvalidInputException("expected a Parquet dataset at " + in + ", found output " + meta.get("output"));
            }
            DatasetFiles.prepareOutput(conf, out);
            Dataset<Row> rows = spark.read().schema(EncodeCorpusJob.SCHEMA).parquet(in)
                    .select(functions.col("*"), functions.col("_metadata.file_name").as("_file"),
                            functions.col("_metadata.row_index").as("_row"))
                    .orderBy("_file", "_row").drop("_file", "_row");
            rows.write().mode(SaveMode.ErrorIfExists).json(out);
            long n = spark.read().schema(EncodeCorpusJob.SCHEMA).json(out).count();
            meta.put("output", "jsonl");
            DatasetFiles.writeMetadata(conf, out, meta);
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }
}
