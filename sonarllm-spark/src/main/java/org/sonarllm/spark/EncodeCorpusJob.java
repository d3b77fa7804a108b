package org.sonarllm.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;

/**
 * Encodes a corpus into concept-LM training data on Spark: documents are read in units (byte ranges
 * of text and JSON-lines files, row groups of Parquet files; one unit per task), segmented, capped
 * and encoded by one ONNX Runtime session per executor JVM, and written as one row per document
 * ({@code id, sentences, embeddings, ids}) in Parquet or JSON lines, part file {@code i} holding unit
 * {@code i}'s documents in input order. The output is committed by Spark's file committer and gets
 * {@code _sonarllm.json} last; see docs/spark.md.
 *
 * <pre>{@code
 * SparkSession spark = SparkSession.builder().master("local[2]").getOrCreate();
 * EncodeCorpusJob.Result r = EncodeCorpusJob.run(spark,
 *     EncodeCorpusJob.Options.builder("bundle", "corpus/", "encoded/").format(EncodeCorpusJob.Format.JSONL).build());
 * }</pre>
 *
 * <p>Stateless, but run one job at a time per local-mode JVM: a local run releases the JVM's loaded
 * models when it ends (on a cluster, executors keep theirs until they exit).
 */
public final class EncodeCorpusJob {
    private static final Logger LOG = LoggerFactory.getLogger(EncodeCorpusJob.class);

    /** Output formats. */
    public enum Format {
        /** Parquet (snappy), the default. */
        PARQUET,
        /** JSON lines, for inspection and for {@code sonarllm train --dataset}. */
        JSONL
    }

    /** The schema of the output rows. */
    public static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.StringType, false)
            .add("sentences", DataTypes.createArrayType(DataTypes.StringType, false), false)
            .add("embeddings", DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType, false), false), false)
            .add("ids", DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.IntegerType, false), false), false);

    /**
     * Job options; build with {@link #builder}.
     *
     * @param bundle model bundle directory (local path, or any Hadoop path when shipped)
     * @param corpus corpus file or directory (any Hadoop path)
     * @param out output directory (any Hadoop path); must not hold a complete dataset
     * @param format output format
     * @param language corpus language code (FLORES-200)
     * @param maxSentences positions per document including the end-of-sequence sentence
     * @param decoderLimit decoder input ids per sentence; 0 = the bundle's {@code maxPositions}
     * @param batchSize sentences per encoder run
     * @param chunkSentences sentences sorted together for length bucketing
     * @param splitSize bytes of text per task; 0 = automatic: the corpus size over 4 tasks per task slot,
     *     between 256 KiB and 64 MiB
     * @param textColumn Parquet input column holding the text
     * @param shipModel true: distribute the bundle with {@code SparkContext.addFile}; false: executors
     *     read {@code bundle} at the same local path; null: ship unless the master is local
     * @param intraOpThreads ONNX Runtime threads per encoder run; 0 = {@code spark.task.cpus}
     */
    public record Options(String bundle, String corpus, String out, Format format, String language, int maxSentences,
            int decoderLimit, int batchSize, int chunkSentences, long splitSize, String textColumn, Boolean shipModel,
            int intraOpThreads) {
        /** Validates. */
        public Options {
            if (bundle == null || corpus == null || out == null || format == null || language == null || textColumn == null) {
                throw new InvalidInputException("expected bundle, corpus, out, format, language and text column, found a null");
            }
            if (maxSentences < 2 || decoderLimit < 0 || (decoderLimit > 0 && decoderLimit < 3) || batchSize < 1
                    || chunkSentences < 1 || splitSize < 0 || intraOpThreads < 0) {
                throw new InvalidInputException("expected max sentences >= 2, decoder limit 0 or >= 3, positive batch, chunk "
                        + "sizes, split size >= 0 and intra-op threads >= 0, found " + this);
            }
        }

        /**
         * @param bundle model bundle
         * @param corpus corpus
         * @param out output directory
         * @return a builder with the defaults: Parquet, eng_Latn, 32 sentences, the bundle's decoder limit,
         *     batches of 32, chunks of 2048 sentences, automatic split size, column "text", automatic shipping
         */
        public static Builder builder(String bundle, String corpus, String out) {
            return new Builder(bundle, corpus, out);
        }
    }

    /** Builder of {@link Options}. */
    public static final class Builder {
        private final String bundle;
        private final String corpus;
        private final String out;
        private Format format = Format.PARQUET;
        private String language = "eng_Latn";
        private int maxSentences = 32;
        private int decoderLimit;
        private int batchSize = 32;
        private int chunkSentences = 2048;
        private long splitSize;
        private String textColumn = "text";
        private Boolean shipModel;
        private int intraOpThreads;

        private Builder(String bundle, String corpus, String out) {
            this.bundle = bundle;
            this.corpus = corpus;
            this.out = out;
        }

        /** @param v format @return this */
        public Builder format(Format v) {
            format = v;
            return this;
        }

        /** @param v language code @return this */
        public Builder language(String v) {
            language = v;
            return this;
        }

        /** @param v positions per document incl. end of sequence @return this */
        public Builder maxSentences(int v) {
            maxSentences = v;
            return this;
        }

        /** @param v decoder input ids per sentence (0 = bundle's) @return this */
        public Builder decoderLimit(int v) {
            decoderLimit = v;
            return this;
        }

        /** @param v sentences per encoder run @return this */
        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        /** @param v sentences per length-sorted chunk @return this */
        public Builder chunkSentences(int v) {
            chunkSentences = v;
            return this;
        }

        /** @param v bytes of text per task (0 = automatic) @return this */
        public Builder splitSize(long v) {
            splitSize = v;
            return this;
        }

        /** @param v Parquet text column @return this */
        public Builder textColumn(String v) {
            textColumn = v;
            return this;
        }

        /** @param v ship the bundle (null = unless local) @return this */
        public Builder shipModel(Boolean v) {
            shipModel = v;
            return this;
        }

        /** @param v threads per encoder run (0 = spark.task.cpus) @return this */
        public Builder intraOpThreads(int v) {
            intraOpThreads = v;
            return this;
        }

        /** @return the options */
        public Options build() {
            return new Options(bundle, corpus, out, format, language, maxSentences, decoderLimit, batchSize, chunkSentences,
                    splitSize, textColumn, shipModel, intraOpThreads);
        }
    }

    /**
     * What a run produced.
     *
     * @param out the output directory
     * @param units input units (tasks)
     * @param documents documents written
     * @param skipped documents without any sentence
     * @param sentences sentences written, end-of-sequence ones included
     * @param truncated target id rows cut to the decoder limit
     * @param seconds wall time of the run
     */
    public record Result(String out, int units, long documents, long skipped, long sentences, long truncated,
            double seconds) {}

    private EncodeCorpusJob() {}

    /**
     * Runs the job.
     *
     * @param spark the session (its master decides local or cluster)
     * @param o options
     * @return counts
     * @throws InvalidInputException for a bad corpus, option or output directory
     * @throws ModelFormatException for a broken bundle
     */
    public static Result run(SparkSession spark, Options o) {
        long t0 = System.nanoTime();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration hconf = jsc.hadoopConfiguration();
        boolean local = jsc.isLocal();
        try {
            BundleManifest manifest = manifest(hconf, o.bundle());
            int limit = o.decoderLimit() > 0 ? o.decoderLimit() : manifest.dimensions().maxPositions();
            DocumentEncoder.Settings settings = new DocumentEncoder.Settings(o.language(), o.maxSentences(), limit,
                    o.batchSize(), o.chunkSentences(), manifest.eosText(), manifest.eosEmbedding());
            DatasetFiles.prepareOutput(hconf, o.out());
            Broadcast<HadoopConf> conf = jsc.broadcast(new HadoopConf(hconf));
            long split = o.splitSize() > 0 ? o.splitSize() : autoSplit(hconf, o.corpus(), jsc.defaultParallelism());
            List<InputUnit> units = numbered(jsc, conf, CorpusFiles.plan(hconf, o.corpus(), split, o.textColumn()));
            LOG.info("{} input units from {}", units.size(), o.corpus());
            boolean ship = o.shipModel() != null ? o.shipModel() : !local;
            EncodeTask.BundleRef ref;
            if (ship) {
                Path b = new Path(o.bundle());
                jsc.sc().addFile(b.toString(), true);
                ref = new EncodeTask.BundleRef(b.getName(), true);
            } else {
                ref = new EncodeTask.BundleRef(o.bundle(), false);
            }
            int threads = o.intraOpThreads() > 0 ? o.intraOpThreads() : jsc.getConf().getInt("spark.task.cpus", 1);
            EncodeTask.Accumulators acc = new EncodeTask.Accumulators(jsc.sc().longAccumulator("documents"),
                    jsc.sc().longAccumulator("skipped"), jsc.sc().longAccumulator("sentences"),
                    jsc.sc().longAccumulator("truncated"));
            JavaRDD<Row> rows = jsc.parallelize(units, Math.max(1, units.size()))
                    .mapPartitions(new EncodeTask(conf, ref, settings, o.textColumn(), threads, acc));
            spark.createDataFrame(rows, SCHEMA).write().mode(SaveMode.ErrorIfExists)
                    .format(o.format() == Format.PARQUET ? "parquet" : "json").save(o.out());
            double seconds = (System.nanoTime() - t0) / 1e9;
            Result r = new Result(o.out(), units.size(), acc.documents().value(), acc.skipped().value(),
                    acc.sentences().value(), acc.truncated().value(), seconds);
            DatasetFiles.writeMetadata(hconf, o.out(), metadata(o, hconf, settings, r));
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        } finally {
            if (local) {
                ExecutorModels.closeAll();
            }
        }
    }

    /** About 4 tasks per task slot, each between 256 KiB and 64 MiB of input. */
    static long autoSplit(Configuration conf, String corpus, int slots) throws IOException {
        Path p = new Path(corpus);
        FileSystem fs = p.getFileSystem(conf);
        long bytes = fs.exists(p) ? fs.getContentSummary(p).getLength() : 0;
        long split = bytes / (4L * Math.max(1, slots)) + 1;
        return Math.max(256L << 10, Math.min(64L << 20, split));
    }

    /** Counts lines where a file has several units, so ids read {@code file:line} however it is split. */
    private static List<InputUnit> numbered(JavaSparkContext jsc, Broadcast<HadoopConf> conf, List<InputUnit> units) {
        List<InputUnit> toCount = new ArrayList<>();
        for (int i = 0; i < units.size(); i++) {
            if (CorpusFiles.needsLineCount(units, i)) {
                toCount.add(units.get(i));
            }
        }
        long[] lines = new long[units.size()];
        if (!toCount.isEmpty()) {
            List<long[]> counted = jsc.parallelize(toCount, toCount.size()).map(u -> {
                return new long[] {u.index(), CorpusFiles.countLines(u, conf.value().get())};
            }).collect();
            for (long[] c : counted) {
                lines[(int) c[0]] = c[1];
            }
        }
        return CorpusFiles.numberLines(units, lines);
    }

    private static BundleManifest manifest(Configuration conf, String bundle) throws IOException {
        Path p = new Path(bundle, BundleManifest.MANIFEST_FILE);
        FileSystem fs = p.getFileSystem(conf);
        if (!fs.exists(p)) {
            throw new ModelFormatException(bundle + ": expected a bundle directory with " + BundleManifest.MANIFEST_FILE
                    + ", found " + (fs.exists(new Path(bundle)) ? "none" : "nothing"));
        }
        BundleManifest m;
        try (InputStream in = fs.open(p)) {
            m = Bundle.mapper().readValue(in, BundleManifest.class);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new ModelFormatException(p + ": invalid manifest: " + e.getOriginalMessage(), e);
        }
        if (m == null || m.dimensions() == null || m.eosText() == null || m.eosEmbedding() == null) {
            throw new ModelFormatException(p + ": expected dimensions, eosText and eosEmbedding, found none");
        }
        return m;
    }

    private static Map<String, Object> metadata(Options o, Configuration conf, DocumentEncoder.Settings s, Result r)
            throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", DatasetFiles.FORMAT);
        m.put("version", 1);
        m.put("output", o.format().name().toLowerCase(java.util.Locale.ROOT));
        Path mf = new Path(o.bundle(), BundleManifest.MANIFEST_FILE);
        try (InputStream in = mf.getFileSystem(conf).open(mf)) {
            m.put("bundleManifestSha256", sha256(in));
        }
        m.put("dimension", s.eosEmbedding().length);
        m.put("language", s.language());
        m.put("maxSentences", s.maxSentences());
        m.put("decoderLimit", s.decoderLimit());
        m.put("eosText", s.eosText());
        m.put("documents", r.documents());
        m.put("skipped", r.skipped());
        m.put("sentences", r.sentences());
        m.put("truncated", r.truncated());
        m.put("units", r.units());
        return m;
    }

    private static String sha256(InputStream in) throws IOException {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            md.update(in.readAllBytes());
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
