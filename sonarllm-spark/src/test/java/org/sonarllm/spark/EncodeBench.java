package org.sonarllm.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.training.data.CorpusPipeline;
import org.sonarllm.training.data.CorpusReader;

/**
 * Throughput of the Spark job in local mode against the single-JVM {@link CorpusPipeline} on the same
 * corpus and bundle, in one JVM, alternating the two (one warm-up each, then {@code reps} timed runs
 * each). Both include loading the bundle and writing their output (Parquet part files; cache shards).
 * Run with {@code scripts/bench/spark-encode.sh}.
 *
 * <pre>{@code
 * EncodeBench --bundle B --corpus C --work DIR [--reps 3] [--master local[2]]
 * }</pre>
 */
public final class EncodeBench {
    private EncodeBench() {}

    private record Run(double seconds, long sentences) {
        double rate() {
            return sentences / seconds;
        }
    }

    public static void main(String[] args) throws IOException {
        String bundle = arg(args, "--bundle", null);
        String corpus = arg(args, "--corpus", null);
        Path work = Path.of(arg(args, "--work", "/tmp/spark-encode-bench"));
        int reps = Integer.parseInt(arg(args, "--reps", "3"));
        String master = arg(args, "--master", "local[2]");
        Files.createDirectories(work);
        long t0 = System.nanoTime();
        SparkSession spark = SparkSession.builder().appName("encode bench").master(master)
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        System.out.printf(Locale.ROOT, "spark session start: %.2f s (%s)%n", (System.nanoTime() - t0) / 1e9, master);
        int limit = Bundle.readManifest(Path.of(bundle)).dimensions().maxPositions();
        int slots = spark.sparkContext().defaultParallelism();
        List<Run> single = new ArrayList<>();
        List<Run> bucketed1 = new ArrayList<>();
        List<Run> bucketedN = new ArrayList<>();
        List<Run> distributed = new ArrayList<>();
        for (int rep = 0; rep <= reps; rep++) {
            Run s = single(bundle, corpus, work.resolve("cache-" + rep), limit);
            Run b1 = bucketed(bundle, corpus, 1, 0);
            Run bn = bucketed(bundle, corpus, slots, 1);
            Run d = spark(spark, bundle, corpus, work.resolve("out-" + rep));
            System.out.printf(Locale.ROOT, "%s: CorpusPipeline %.2f s (%.1f sentences/s); bucketed 1 thread %.2f s (%.1f/s); "
                    + "bucketed %d threads %.2f s (%.1f/s); spark %s %.2f s (%.1f/s)%n",
                    rep == 0 ? "warm-up" : "rep " + rep, s.seconds(), s.rate(), b1.seconds(), b1.rate(), slots, bn.seconds(),
                    bn.rate(), master, d.seconds(), d.rate());
            for (Run x : List.of(b1, bn, d)) {
                if (x.sentences() != s.sentences()) {
                    throw new IllegalStateException("sentence counts differ: " + s.sentences() + " vs " + x.sentences());
                }
            }
            if (rep > 0) {
                single.add(s);
                bucketed1.add(b1);
                bucketedN.add(bn);
                distributed.add(d);
            }
            delete(work.resolve("cache-" + rep));
            delete(work.resolve("out-" + rep));
        }
        long n = single.get(0).sentences();
        double md = median(distributed);
        System.out.printf(Locale.ROOT, "sentences %d; medians: CorpusPipeline %.2f s (%.1f/s), bucketed 1 thread %.2f s, "
                + "bucketed %d threads %.2f s, spark %.2f s (%.1f/s, %.1f/s per task slot)%n", n, median(single),
                n / median(single), median(bucketed1), slots, median(bucketedN), md, n / md, n / md / slots);
        System.out.printf(Locale.ROOT, "spark time / CorpusPipeline %.3f; spark time / best single-JVM bucketed %.3f%n",
                md / median(single), md / Math.min(median(bucketed1), median(bucketedN)));
        spark.stop();
    }

    private static Run single(String bundle, String corpus, Path cache, int limit) {
        long t0 = System.nanoTime();
        try (SonarLlm llm = SonarLlm.load(Path.of(bundle))) {
            CorpusPipeline.Options o = new CorpusPipeline.Options(32, 0.0, 42, 256);
            CorpusPipeline p = CorpusPipeline.forBundle(llm, Language.ENGLISH, o, cache);
            p.load(CorpusReader.read(Path.of(corpus)), (d, t) -> {});
            return new Run((System.nanoTime() - t0) / 1e9, p.stats().sentences());
        }
    }

    /**
     * The job's own per-unit code (reading, segmentation, length-bucketed encoding) without Spark: units on
     * {@code threads} threads of this JVM, rows counted and dropped.
     */
    private static Run bucketed(String bundle, String corpus, int threads, int intraOp) throws IOException {
        long t0 = System.nanoTime();
        org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
        List<InputUnit> units = CorpusFiles.plan(conf, corpus, 256 << 10, "text");
        long[] lines = new long[units.size()];
        for (int i = 0; i < units.size(); i++) {
            if (CorpusFiles.needsLineCount(units, i)) {
                lines[i] = CorpusFiles.countLines(units.get(i), conf);
            }
        }
        List<InputUnit> numbered = CorpusFiles.numberLines(units, lines);
        var manifest = Bundle.readManifest(Path.of(bundle));
        DocumentEncoder.Settings settings = new DocumentEncoder.Settings("eng_Latn", 32, manifest.dimensions().maxPositions(),
                32, 2048, manifest.eosText(), manifest.eosEmbedding());
        java.util.concurrent.atomic.AtomicLong sentences = new java.util.concurrent.atomic.AtomicLong();
        ExecutorModels.Loaded m = ExecutorModels.get(Path.of(bundle), intraOp, 32);
        var seg = SentenceSegmenters.forLanguage(Language.ENGLISH);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
            for (InputUnit u : numbered) {
                fs.add(pool.submit(() -> {
                    try (CorpusFiles.Documents docs = CorpusFiles.open(u, "text", conf)) {
                        new DocumentEncoder(seg, m.encoder(), m.tokenizer(), settings, (d, s, n, t) -> sentences.addAndGet(n))
                                .encode(docs).forEachRemaining(e -> { });
                    }
                    return null;
                }));
            }
            for (var f : fs) {
                f.get();
            }
        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        } finally {
            pool.shutdown();
            ExecutorModels.closeAll();
        }
        return new Run((System.nanoTime() - t0) / 1e9, sentences.get());
    }

    private static Run spark(SparkSession spark, String bundle, String corpus, Path out) {
        EncodeCorpusJob.Result r = EncodeCorpusJob.run(spark,
                EncodeCorpusJob.Options.builder(bundle, corpus, out.toString()).splitSize(256 << 10).build());
        return new Run(r.seconds(), r.sentences());
    }

    private static double median(List<Run> runs) {
        List<Double> s = runs.stream().map(Run::seconds).sorted().toList();
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }

    private static String arg(String[] args, String name, String def) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        if (def == null) {
            throw new IllegalArgumentException("missing " + name);
        }
        return def;
    }

    private static void delete(Path p) throws IOException {
        if (Files.exists(p)) {
            try (Stream<Path> s = Files.walk(p)) {
                for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(x);
                }
            }
        }
    }
}
