/**
 * Encoding a corpus into concept-LM training data on Apache Spark: {@link org.sonarllm.spark.EncodeCorpusJob}
 * (the job), {@link org.sonarllm.spark.DatasetConverter} (Parquet to JSON lines) and
 * {@link org.sonarllm.spark.SparkMain} (the {@code encode-corpus} and {@code dataset-to-jsonl} commands).
 * See docs/spark.md.
 */
package org.sonarllm.spark;
