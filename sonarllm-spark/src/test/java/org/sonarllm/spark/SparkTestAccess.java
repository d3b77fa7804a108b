package org.sonarllm.spark;

import java.io.IOException;
import java.nio.file.Path;

/** Lets tests in other packages run the job on the shared test session. */
public final class SparkTestAccess {
    private SparkTestAccess() {}

    /** @param dir created @return the test corpus written there */
    public static Path writeCorpus(Path dir) throws IOException {
        return TestCorpus.write(dir);
    }

    /** Encodes {@code corpus} into {@code out} in local[2] with small splits. */
    public static EncodeCorpusJob.Result encode(Path bundle, Path corpus, Path out, int maxSentences, String format) {
        return EncodeCorpusJob.run(TestSpark.get(), EncodeCorpusJob.Options.builder(bundle.toString(), corpus.toString(),
                out.toString()).maxSentences(maxSentences).splitSize(200).batchSize(8).chunkSentences(32)
                .format(EncodeCorpusJob.Format.valueOf(format.toUpperCase(java.util.Locale.ROOT))).build());
    }

    /** Runs the Parquet to JSON lines converter. */
    public static long toJsonl(Path in, Path out) {
        return DatasetConverter.toJsonl(TestSpark.get(), in.toString(), out.toString());
    }
}
