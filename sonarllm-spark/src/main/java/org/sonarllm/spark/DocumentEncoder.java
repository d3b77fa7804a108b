package org.sonarllm.spark;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.encode.ConceptEncoder;
import org.sonarllm.lang.Language;
import org.sonarllm.segment.Segment;
import org.sonarllm.segment.SentenceSegmenter;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * Turns raw documents into training documents, the way the single-JVM corpus pipeline does:
 * segmentation (pre-split sentences are used as given), stripping, dropping blank sentences and
 * documents without any, keeping the first {@code maxSentences - 1} sentences, appending the
 * end-of-sequence sentence; each sentence's decoder target ids are {@code [lang] + pieces} cut to
 * {@code decoderLimit - 2} (the decoder input adds {@code </s>} before and after). The
 * end-of-sequence sentence gets the bundle manifest's embedding and English target ids, as the
 * generator uses it.
 *
 * <p>Encoding is length-bucketed: documents are gathered into chunks of about {@code chunkSentences}
 * sentences, whose sentences are sorted by token count and encoded in batches of {@code batchSize},
 * so a batch pads little. Results are independent of thread timing: the same documents give the same
 * chunks, batches and outputs.
 *
 * <p>Not thread-safe (one per task); the encoder and tokenizer may be shared.
 */
final class DocumentEncoder {
    /**
     * A training document.
     *
     * @param id the input's id
     * @param sentences the sentences, end-of-sequence sentence last
     * @param embeddings one vector per sentence
     * @param ids decoder target ids {@code [lang] + pieces} per sentence
     */
    record Encoded(String id, String[] sentences, float[][] embeddings, int[][] ids) {}

    /**
     * What to produce.
     *
     * @param language corpus language (encoding and target ids)
     * @param maxSentences positions per document including the end-of-sequence sentence (>= 2)
     * @param decoderLimit decoder input ids per sentence (>= 3)
     * @param batchSize sentences per encoder call
     * @param chunkSentences sentences sorted together for length bucketing
     * @param eosText the end-of-sequence sentence
     * @param eosEmbedding its embedding
     */
    record Settings(String language, int maxSentences, int decoderLimit, int batchSize, int chunkSentences,
            String eosText, float[] eosEmbedding) implements Serializable {
        /** Validates. */
        Settings {
            Language.of(language);
            if (maxSentences < 2 || decoderLimit < 3 || batchSize < 1 || chunkSentences < 1) {
                throw new InvalidInputException("expected max sentences >= 2, decoder limit >= 3 and positive batch and "
                        + "chunk sizes, found " + maxSentences + ", " + decoderLimit + ", " + batchSize + ", " + chunkSentences);
            }
            if (eosText == null || eosText.isBlank() || eosEmbedding == null || eosEmbedding.length == 0) {
                throw new InvalidInputException("expected an end-of-sequence sentence and embedding, found none");
            }
        }
    }

    /** Receives counts (e.g. Spark accumulators). */
    interface Counters {
        /**
         * @param documents documents written
         * @param skipped documents without a sentence
         * @param sentences sentences written, end-of-sequence ones included
         * @param truncated target id rows cut to the decoder limit
         */
        void add(long documents, long skipped, long sentences, long truncated);
    }

    private final SentenceSegmenter segmenter;
    private final ConceptEncoder encoder;
    private final SonarTokenizer tokenizer;
    private final Settings settings;
    private final Language language;
    private final Counters counters;
    private final int[] eosIds;

    /**
     * @param segmenter segmenter for the corpus language
     * @param encoder the SONAR encoder
     * @param tokenizer the bundle's tokenizer
     * @param settings what to produce
     * @param counters receives counts per chunk
     */
    DocumentEncoder(SentenceSegmenter segmenter, ConceptEncoder encoder, SonarTokenizer tokenizer, Settings settings,
            Counters counters) {
        this.segmenter = segmenter;
        this.encoder = encoder;
        this.tokenizer = tokenizer;
        this.settings = settings;
        this.language = Language.of(settings.language());
        this.counters = counters;
        if (encoder.dimension() != settings.eosEmbedding().length) {
            throw new ModelFormatException("expected an encoder of dimension " + settings.eosEmbedding().length
                    + " (the manifest's end-of-sequence embedding), found " + encoder.dimension());
        }
        this.eosIds = cut(targetIds(settings.eosText(), Language.ENGLISH));
    }

    private int[] targetIds(String sentence, Language lang) {
        int[] t = tokenizer.decoderTarget(sentence, lang);
        return Arrays.copyOf(t, t.length - 1);
    }

    private int[] cut(int[] ids) {
        return ids.length + 2 > settings.decoderLimit() ? Arrays.copyOf(ids, settings.decoderLimit() - 2) : ids;
    }

    /**
     * @param doc a raw document
     * @return its kept sentences (possibly none)
     */
    List<String> sentences(RawDocument doc) {
        List<String> s = new ArrayList<>();
        if (doc.sentences() != null) {
            for (String x : doc.sentences()) {
                if (!x.isBlank()) {
                    s.add(x.strip());
                }
            }
        } else {
            for (Segment seg : segmenter.segment(doc.text())) {
                if (!seg.text().isBlank()) {
                    s.add(seg.text().strip());
                }
            }
        }
        return s.size() > settings.maxSentences() - 1 ? new ArrayList<>(s.subList(0, settings.maxSentences() - 1)) : s;
    }

    /**
     * @param docs raw documents in order
     * @return the encoded documents in the same order (documents without sentences are dropped)
     */
    Iterator<Encoded> encode(Iterator<RawDocument> docs) {
        return new Iterator<>() {
            private final Deque<Encoded> ready = new ArrayDeque<>();

            @Override
            public boolean hasNext() {
                while (ready.isEmpty() && docs.hasNext()) {
                    ready.addAll(chunk(docs));
                }
                return !ready.isEmpty();
            }

            @Override
            public Encoded next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.poll();
            }
        };
    }

    private record Pending(String id, List<String> sentences) {}

    private List<Encoded> chunk(Iterator<RawDocument> docs) {
        List<Pending> part = new ArrayList<>();
        int total = 0;
        long skipped = 0;
        while (total < settings.chunkSentences() && docs.hasNext()) {
            RawDocument d = docs.next();
            List<String> s = sentences(d);
            if (s.isEmpty()) {
                skipped++;
                continue;
            }
            part.add(new Pending(d.id(), s));
            total += s.size();
        }
        String[] flat = new String[total];
        int[][] ids = new int[total][];
        int k = 0;
        long truncated = 0;
        for (Pending p : part) {
            for (String s : p.sentences()) {
                flat[k] = s;
                int[] t = targetIds(s, language);
                ids[k] = cut(t);
                truncated += ids[k].length < t.length ? 1 : 0;
                k++;
            }
        }
        float[][] emb = encodeBucketed(flat, ids);
        List<Encoded> out = new ArrayList<>(part.size());
        k = 0;
        long sentences = 0;
        for (Pending p : part) {
            int n = p.sentences().size();
            String[] s = new String[n + 1];
            float[][] e = new float[n + 1][];
            int[][] t = new int[n + 1][];
            for (int i = 0; i < n; i++, k++) {
                s[i] = flat[k];
                e[i] = emb[k];
                t[i] = ids[k];
            }
            s[n] = settings.eosText();
            e[n] = settings.eosEmbedding();
            t[n] = eosIds;
            out.add(new Encoded(p.id(), s, e, t));
            sentences += n + 1;
        }
        counters.add(out.size(), skipped, sentences, truncated);
        return out;
    }

    /** Encodes in batches of sentences of similar token counts; results in input order. */
    private float[][] encodeBucketed(String[] sentences, int[][] ids) {
        Integer[] order = new Integer[sentences.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> ids[a].length != ids[b].length ? Integer.compare(ids[a].length, ids[b].length)
                : Integer.compare(a, b));
        float[][] out = new float[sentences.length][];
        for (int start = 0; start < order.length; start += settings.batchSize()) {
            int n = Math.min(settings.batchSize(), order.length - start);
            List<String> batch = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                batch.add(sentences[order[start + i]]);
            }
            List<float[]> v = encoder.encode(batch, language);
            for (int i = 0; i < n; i++) {
                out[order[start + i]] = v.get(i);
            }
        }
        return out;
    }
}
