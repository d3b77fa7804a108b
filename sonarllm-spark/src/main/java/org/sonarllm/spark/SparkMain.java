package org.sonarllm.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.sonarllm.InvalidInputException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The Spark commands of {@code ./sonarllm} ({@code encode-corpus}, {@code dataset-to-jsonl}) and the
 * main class for {@code spark-submit}. Results are one JSON line on stdout; errors one
 * {@code error: ...} line on stderr with exit 2 (bad input) or 1. Without {@code --master} and
 * outside {@code spark-submit}, Spark runs in local mode on all cores.
 *
 * <pre>{@code
 * ./sonarllm encode-corpus --model bundle --corpus books/ --out encoded/ --master local[2] --format jsonl
 * spark-submit --class org.sonarllm.spark.SparkMain sonarllm-spark-job.jar encode-corpus --model ... --corpus ... --out ...
 * }</pre>
 *
 * <p>One command per process; not thread-safe.
 */
@Command(name = "sonarllm", mixinStandardHelpOptions = true, version = "sonarllm 0.1.0-SNAPSHOT",
        subcommands = {SparkMain.EncodeCorpus.class, SparkMain.DatasetToJsonl.class},
        description = "SONAR-LLM commands that run on Apache Spark.")
public final class SparkMain implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SparkMain() {}

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(new CommandLine(this), "expected a command (encode-corpus, dataset-to-jsonl)");
    }

    /** Options every Spark command has. */
    abstract static class SparkCommand implements Callable<Integer> {
        @Option(names = "--master", paramLabel = "URL",
                description = "Spark master (default: spark-submit's, else local[*]); e.g. local[2].")
        String master;

        @Option(names = "--verbose", description = "Spark INFO logging and stack traces.")
        boolean verbose;

        SparkSession session(String app) {
            SparkConf conf = new SparkConf();
            String m = master != null ? master : conf.get("spark.master", "local[*]");
            SparkSession.Builder b = SparkSession.builder().appName(app).master(m);
            if (m.startsWith("local")) {
                b.config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                        .config("spark.driver.bindAddress", "127.0.0.1");
            }
            SparkSession s = b.getOrCreate();
            s.sparkContext().setLogLevel(verbose ? "INFO" : "WARN");
            return s;
        }

        void print(Map<String, Object> result) throws Exception {
            System.out.println(JSON.writeValueAsString(result));
            System.out.flush();
        }
    }

    /** {@code encode-corpus}. */
    @Command(name = "encode-corpus", mixinStandardHelpOptions = true,
            description = "Segment and encode a corpus into concept-LM training data (one row per document).")
    static final class EncodeCorpus extends SparkCommand {
        @Option(names = "--model", required = true, paramLabel = "BUNDLE", description = "Model bundle directory.")
        String model;

        @Option(names = "--corpus", required = true, paramLabel = "PATH",
                description = ".txt / .jsonl / .json / .parquet file or directory (any Hadoop path).")
        String corpus;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (must be new).")
        String out;

        @Option(names = "--format", defaultValue = "parquet", description = "parquet (default) or jsonl.")
        String format;

        @Option(names = "--lang", defaultValue = "eng_Latn", description = "Corpus language (default: ${DEFAULT-VALUE}).")
        String lang;

        @Option(names = "--max-sentences", defaultValue = "32", description = "Positions per document incl. end of sequence.")
        int maxSentences;

        @Option(names = "--decoder-limit", defaultValue = "0",
                description = "Decoder input ids per sentence (default: the bundle's maxPositions).")
        int decoderLimit;

        @Option(names = "--batch-size", defaultValue = "32", description = "Sentences per encoder run.")
        int batchSize;

        @Option(names = "--chunk-sentences", defaultValue = "2048", description = "Sentences sorted by length together.")
        int chunkSentences;

        @Option(names = "--split-size", defaultValue = "auto", paramLabel = "BYTES",
                description = "Text bytes per task, e.g. 64m, 512k (default: auto, about 4 tasks per task slot, "
                        + "256k to 64m).")
        String splitSize;

        @Option(names = "--text-column", defaultValue = "text", description = "Parquet input column with the text.")
        String textColumn;

        @Option(names = "--ship-model", negatable = true,
                description = "Distribute the bundle with SparkContext.addFile (default: yes unless local); "
                        + "--no-ship-model: executors read --model at the same local path.")
        Boolean shipModel;

        @Option(names = "--intra-op-threads", defaultValue = "0",
                description = "ONNX Runtime threads per encoder run (default: spark.task.cpus).")
        int intraOpThreads;

        @Override
        public Integer call() throws Exception {
            EncodeCorpusJob.Format f = switch (format.toLowerCase(Locale.ROOT)) {
                case "parquet" -> EncodeCorpusJob.Format.PARQUET;
                case "jsonl" -> EncodeCorpusJob.Format.JSONL;
                default -> throw new InvalidInputException("expected --format parquet or jsonl, found " + format);
            };
            EncodeCorpusJob.Options o = EncodeCorpusJob.Options.builder(model, corpus, out).format(f).language(lang)
                    .maxSentences(maxSentences).decoderLimit(decoderLimit).batchSize(batchSize).chunkSentences(chunkSentences)
                    .splitSize(splitSize.equalsIgnoreCase("auto") ? 0 : bytes(splitSize)).textColumn(textColumn).shipModel(shipModel).intraOpThreads(intraOpThreads)
                    .build();
            try (SparkSession spark = session("sonarllm encode-corpus")) {
                EncodeCorpusJob.Result r = EncodeCorpusJob.run(spark, o);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("out", r.out());
                m.put("format", format.toLowerCase(Locale.ROOT));
                m.put("units", r.units());
                m.put("documents", r.documents());
                m.put("skipped", r.skipped());
                m.put("sentences", r.sentences());
                m.put("truncated", r.truncated());
                m.put("seconds", Math.round(r.seconds() * 1000) / 1000.0);
                m.put("sentencesPerSecond", Math.round(r.sentences() / Math.max(1e-9, r.seconds()) * 10) / 10.0);
                print(m);
            }
            return 0;
        }
    }

    /** {@code dataset-to-jsonl}. */
    @Command(name = "dataset-to-jsonl", mixinStandardHelpOptions = true,
            description = "Convert a Parquet dataset of encode-corpus to JSON lines (same rows, same order).")
    static final class DatasetToJsonl extends SparkCommand {
        @Option(names = "--in", required = true, paramLabel = "DIR", description = "Parquet dataset (encode-corpus output).")
        String in;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (must be new).")
        String out;

        @Override
        public Integer call() throws Exception {
            try (SparkSession spark = session("sonarllm dataset-to-jsonl")) {
                long docs = DatasetConverter.toJsonl(spark, in, out);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("out", out);
                m.put("documents", docs);
                print(m);
            }
            return 0;
        }
    }

    /**
     * @param s a size such as {@code 64m}, {@code 512k}, {@code 1g} or plain bytes
     * @return bytes
     */
    static long bytes(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        long mult = 1;
        if (t.endsWith("k") || t.endsWith("m") || t.endsWith("g")) {
            mult = t.endsWith("k") ? 1L << 10 : t.endsWith("m") ? 1L << 20 : 1L << 30;
            t = t.substring(0, t.length() - 1);
        }
        try {
            long v = Long.parseLong(t);
            if (v <= 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(v, mult);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new InvalidInputException("expected a positive size such as 64m, 512k or 1048576, found '" + s + "'");
        }
    }

    /**
     * Runs a command.
     *
     * @param args command and options
     * @param err where the error line goes
     * @return the exit code
     */
    static int run(String[] args, PrintStream err) {
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        CommandLine cl = new CommandLine(new SparkMain());
        cl.setExecutionExceptionHandler((e, c, p) -> {
            Failure f = Failure.of(e);
            err.println("error: " + f.message());
            if (verbose) {
                e.printStackTrace(err);
            }
            return f.exitCode();
        });
        cl.setParameterExceptionHandler((e, a) -> {
            err.println("error: " + e.getMessage());
            return 2;
        });
        return cl.execute(args);
    }

    /**
     * Entry point for {@code ./sonarllm} and {@code spark-submit}.
     *
     * @param args command and options
     */
    public static void main(String[] args) {
        int code = run(args, System.err);
        System.exit(code);
    }
}
