package org.sonarllm.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkFiles;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.LongAccumulator;
import org.sonarllm.lang.Language;
import org.sonarllm.segment.SentenceSegmenter;
import org.sonarllm.segment.SentenceSegmenters;

/**
 * What every task runs: read its {@link InputUnit}, encode the documents with the JVM's shared
 * models ({@link ExecutorModels}), emit one {@link Row} per document. Serializable; a new instance
 * per task after deserialization.
 */
final class EncodeTask implements FlatMapFunction<Iterator<InputUnit>, Row> {
    private static final long serialVersionUID = 1L;
    private static final Map<String, SentenceSegmenter> SEGMENTERS = new ConcurrentHashMap<>();

    /**
     * Where executors find the bundle.
     *
     * @param location a local path (or {@code file:} URI) readable by every executor, or, when
     *     {@code shipped}, the name under which {@code SparkContext.addFile} distributed it
     * @param shipped whether to look it up with {@link SparkFiles#get}
     */
    record BundleRef(String location, boolean shipped) implements Serializable {
        Path local() {
            if (shipped) {
                return Path.of(SparkFiles.get(location));
            }
            return location.startsWith("file:") ? Path.of(URI.create(location)) : Path.of(location);
        }
    }

    /** Spark accumulators of the job's counts. */
    record Accumulators(LongAccumulator documents, LongAccumulator skipped, LongAccumulator sentences,
            LongAccumulator truncated) implements Serializable, DocumentEncoder.Counters {
        @Override
        public void add(long d, long s, long n, long t) {
            documents.add(d);
            skipped.add(s);
            sentences.add(n);
            truncated.add(t);
        }
    }

    private final Broadcast<HadoopConf> conf;
    private final BundleRef bundle;
    private final DocumentEncoder.Settings settings;
    private final String textColumn;
    private final int intraOpThreads;
    private final Accumulators counters;

    EncodeTask(Broadcast<HadoopConf> conf, BundleRef bundle, DocumentEncoder.Settings settings, String textColumn,
            int intraOpThreads, Accumulators counters) {
        this.conf = conf;
        this.bundle = bundle;
        this.settings = settings;
        this.textColumn = textColumn;
        this.intraOpThreads = intraOpThreads;
        this.counters = counters;
    }

    @Override
    public Iterator<Row> call(Iterator<InputUnit> units) throws IOException {
        if (!units.hasNext()) {
            return java.util.Collections.emptyIterator();
        }
        InputUnit unit = units.next();
        if (units.hasNext()) {
            throw new IllegalStateException("expected one input unit per partition, found more");
        }
        ExecutorModels.Loaded m = ExecutorModels.get(bundle.local(), intraOpThreads, settings.batchSize());
        SentenceSegmenter seg = SEGMENTERS.computeIfAbsent(settings.language(),
                l -> SentenceSegmenters.forLanguage(Language.of(l)));
        CorpusFiles.Documents opened = CorpusFiles.open(unit, textColumn, conf.value().get());
        java.util.concurrent.atomic.AtomicBoolean open = new java.util.concurrent.atomic.AtomicBoolean(true);
        Runnable close = () -> {
            if (open.getAndSet(false)) {
                try {
                    opened.close();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot close " + unit.name() + ": " + e.getMessage(), e);
                }
            }
        };
        TaskContext ctx = TaskContext.get();
        if (ctx != null) {
            ctx.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) c -> close.run());
        }
        CorpusFiles.Documents docs = opened;
        Iterator<DocumentEncoder.Encoded> encoded = new DocumentEncoder(seg, m.encoder(), m.tokenizer(), settings, counters)
                .encode(docs);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                boolean more = encoded.hasNext();
                if (!more) {
                    close.run();
                }
                return more;
            }

            @Override
            public Row next() {
                DocumentEncoder.Encoded e = encoded.next();
                return RowFactory.create(e.id(), e.sentences(), e.embeddings(), e.ids());
            }
        };
    }
}
