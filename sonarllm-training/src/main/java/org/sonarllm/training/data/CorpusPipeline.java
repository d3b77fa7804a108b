package org.sonarllm.training.data;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.InvalidInputException;
import org.sonarllm.SonarLlmException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.segment.SentenceSegmenter;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.training.EmptyCorpusException;
import org.sonarllm.training.model.Batch;

/**
 * Corpus to training data: documents are split into sentences ({@link CorpusReader.RawDocument#split}),
 * cut to {@code maxSentences - 1} sentences and turned into documents by the {@link DocumentEncoder}
 * (embeddings, decoder tokens, the end-of-sequence sentence appended). Results are cached on disk in
 * shards of {@code shardSize} documents keyed by the corpus content, the encoder id, the document
 * encoder's settings and the options, so a second run (or a run after a kill) does not re-encode.
 * Documents are split into training and validation by a seeded hash of their text, independent of their
 * order.
 *
 * <pre>{@code
 * CorpusPipeline p = CorpusPipeline.forBundle(llm, Language.ENGLISH, CorpusPipeline.Options.defaults(), Path.of(".cache"));
 * Dataset ds = p.load(CorpusReader.read(Path.of("corpus")), (done, total) -> {});
 * }</pre>
 *
 * <p>Not thread-safe.
 */
public final class CorpusPipeline {
    private static final Logger LOG = LoggerFactory.getLogger(CorpusPipeline.class);
    private static final int SHARD_MAGIC = 0x534c5348;

    /**
     * Pipeline options.
     *
     * @param maxSentences most positions per document including the end-of-sequence sentence
     * @param validationFraction share of documents held out for validation (0..1)
     * @param seed split seed
     * @param shardSize documents per cache shard
     */
    public record Options(int maxSentences, double validationFraction, long seed, int shardSize) {
        /** Validates. */
        public Options {
            if (maxSentences < 2 || !(validationFraction >= 0 && validationFraction < 1) || shardSize <= 0) {
                throw new InvalidInputException("expected maxSentences >= 2, 0 <= validation < 1 and a positive shard "
                        + "size, found " + maxSentences + ", " + validationFraction + " and " + shardSize);
            }
        }

        /** @return 32 sentences, 5% validation, seed 42, shards of 256 documents */
        public static Options defaults() {
            return new Options(32, 0.05, 42, 256);
        }
    }

    /** Encoding progress. */
    @FunctionalInterface
    public interface Progress {
        /**
         * @param documentsDone documents encoded or loaded from cache so far
         * @param documentsTotal documents in the corpus
         */
        void onProgress(int documentsDone, int documentsTotal);
    }

    /**
     * Counters of the last {@link #load}.
     *
     * @param documents documents kept
     * @param skipped documents without any sentence
     * @param sentences sentences including end-of-sequence ones
     * @param truncated sentences cut to the decoder limit
     * @param encodedShards shards encoded in this run
     * @param cachedShards shards read from the cache
     */
    public record Stats(int documents, int skipped, long sentences, long truncated, int encodedShards, int cachedShards) {}

    private final SentenceSegmenter segmenter;
    private final DocumentEncoder encoder;
    private final String encoderId;
    private final Options options;
    private final Path cacheDir;
    private Stats stats;

    /**
     * @param segmenter sentence segmenter for plain-text documents
     * @param encoder sentences to documents
     * @param encoderId identifies the encoder and tokenizer in cache keys (e.g. the bundle manifest's hash)
     * @param options pipeline options
     * @param cacheDir cache root (created when missing)
     */
    public CorpusPipeline(SentenceSegmenter segmenter, DocumentEncoder encoder, String encoderId, Options options,
            Path cacheDir) {
        this.segmenter = segmenter;
        this.encoder = encoder;
        this.encoderId = encoderId;
        this.options = options;
        this.cacheDir = cacheDir;
    }

    /**
     * The pipeline of a bundle: its segmenter for {@code language}, {@link DocumentEncoder#forBundle} and
     * the manifest's content hash as encoder id.
     *
     * @param llm a loaded bundle
     * @param language corpus language
     * @param options pipeline options
     * @param cacheDir cache root
     * @return the pipeline
     */
    public static CorpusPipeline forBundle(SonarLlm llm, Language language, Options options, Path cacheDir) {
        String id;
        try {
            // the manifest lists every file's sha256: its hash identifies the encoder (and everything else)
            id = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(
                    Bundle.mapper().writeValueAsBytes(llm.manifest())));
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new SonarLlmException("cannot hash the bundle manifest: " + e.getMessage(), e);
        }
        return new CorpusPipeline(SentenceSegmenters.forLanguage(language), DocumentEncoder.forBundle(llm, language), id,
                options, cacheDir);
    }

    /** @return counters of the last load, or null before the first */
    public Stats stats() {
        return stats;
    }

    /**
     * @param raw documents from {@link CorpusReader}
     * @param progress progress callback
     * @return the split dataset
     */
    public Dataset load(List<CorpusReader.RawDocument> raw, Progress progress) {
        List<List<String>> docs = new ArrayList<>();
        int skipped = 0;
        for (CorpusReader.RawDocument r : raw) {
            List<String> s = r.split(segmenter);
            if (s.isEmpty()) {
                skipped++;
                continue;
            }
            docs.add(s.size() > options.maxSentences() - 1 ? s.subList(0, options.maxSentences() - 1) : s);
        }
        if (docs.isEmpty()) {
            throw new EmptyCorpusException("document", "with a sentence in " + raw.size() + " documents read");
        }
        Path dir = cacheDir.resolve(key(docs));
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new SonarLlmException("cannot create cache " + dir + ": " + e.getMessage(), e);
        }
        List<Batch.Document> all = new ArrayList<>();
        long truncated = 0;
        int encoded = 0;
        int cached = 0;
        int shards = (docs.size() + options.shardSize() - 1) / options.shardSize();
        for (int sh = 0; sh < shards; sh++) {
            List<List<String>> part = docs.subList(sh * options.shardSize(), Math.min(docs.size(), (sh + 1) * options.shardSize()));
            Path file = dir.resolve(String.format("shard-%05d.bin", sh));
            Shard s = Files.exists(file) ? readShard(file, part.size()) : null;
            if (s == null) {
                DocumentEncoder.Encoded e = encoder.encode(part);
                s = new Shard(e.documents(), e.truncated());
                writeShard(file, s);
                encoded++;
            } else {
                cached++;
            }
            all.addAll(s.docs);
            truncated += s.truncated;
            int done = Math.min(docs.size(), (sh + 1) * options.shardSize());
            progress.onProgress(done, docs.size());
            LOG.info("encoded {}/{} documents ({} shards from cache)", done, docs.size(), cached);
        }
        List<Batch.Document> train = new ArrayList<>();
        List<Batch.Document> val = new ArrayList<>();
        long sentences = 0;
        for (int i = 0; i < all.size(); i++) {
            sentences += all.get(i).embeddings().length;
            (isValidation(docs.get(i)) ? val : train).add(all.get(i));
        }
        if (train.isEmpty()) {
            train.addAll(val);
            val.clear();
        }
        stats = new Stats(all.size(), skipped, sentences, truncated, encoded, cached);
        if (truncated > 0) {
            LOG.warn("{} sentences were longer than the decoder limit of {} ids and were truncated", truncated,
                    encoder.decoderLimit());
        }
        return new Dataset(train, val);
    }

    private boolean isValidation(List<String> doc) {
        byte[] h = sha(options.seed() + "\u0000" + String.join("\u0001", doc));
        long v = ((h[0] & 0xffL) << 16) | ((h[1] & 0xffL) << 8) | (h[2] & 0xffL);
        return v < options.validationFraction() * (1 << 24);
    }

    private record Shard(List<Batch.Document> docs, long truncated) {}

    private String key(List<List<String>> docs) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            EndOfSequence eos = encoder.eos();
            md.update((encoderId + "|" + options.maxSentences() + "|" + encoder.decoderLimit() + "|" + eos + "|"
                    + Arrays.hashCode(eos.embedding()) + "|" + encoder.language().code() + "|" + options.shardSize())
                    .getBytes(StandardCharsets.UTF_8));
            for (List<String> d : docs) {
                md.update((byte) 2);
                for (String s : d) {
                    md.update((byte) 1);
                    md.update(s.getBytes(StandardCharsets.UTF_8));
                }
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 24);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void writeShard(Path file, Shard s) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
            out.writeInt(SHARD_MAGIC);
            out.writeInt(s.docs.size());
            out.writeLong(s.truncated);
            for (Batch.Document d : s.docs) {
                out.writeInt(d.embeddings().length);
                out.writeInt(d.embeddings()[0].length);
                for (int i = 0; i < d.embeddings().length; i++) {
                    for (float f : d.embeddings()[i]) {
                        out.writeFloat(f);
                    }
                    out.writeInt(d.tokens()[i].length);
                    for (int t : d.tokens()[i]) {
                        out.writeInt(t);
                    }
                }
            }
        } catch (IOException e) {
            throw new SonarLlmException("cannot write cache shard " + file + ": " + e.getMessage(), e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new SonarLlmException("cannot write cache shard " + file + ": " + e.getMessage(), e);
        }
    }

    /** @return the shard, or null (re-encode) if it is unreadable */
    private static Shard readShard(Path file, int expectedDocs) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (in.readInt() != SHARD_MAGIC || in.readInt() != expectedDocs) {
                LOG.warn("ignoring unexpected cache shard {}", file);
                return null;
            }
            long truncated = in.readLong();
            List<Batch.Document> docs = new ArrayList<>();
            for (int n = 0; n < expectedDocs; n++) {
                int sents = in.readInt();
                int dim = in.readInt();
                float[][] e = new float[sents][dim];
                int[][] t = new int[sents][];
                for (int i = 0; i < sents; i++) {
                    for (int j = 0; j < dim; j++) {
                        e[i][j] = in.readFloat();
                    }
                    t[i] = new int[in.readInt()];
                    for (int j = 0; j < t[i].length; j++) {
                        t[i][j] = in.readInt();
                    }
                }
                docs.add(new Batch.Document(e, t));
            }
            return new Shard(docs, truncated);
        } catch (IOException | RuntimeException e) {
            LOG.warn("ignoring unreadable cache shard {}: {}", file, e.toString());
            return null;
        }
    }
}
