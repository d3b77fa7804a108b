package org.sonarllm.training.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.ConceptDecoder;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.encode.ConceptEncoder;
import org.sonarllm.encode.Vectors;
import org.sonarllm.lang.Language;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.predict.ConceptLMSession;
import org.sonarllm.segment.SentenceSegmenter;
import org.sonarllm.training.data.CorpusReader;

/**
 * Next-sentence prediction quality of a concept LM on held-out documents: for every position
 * {@code k >= 1} of a document, sentences {@code 0..k-1} (the last {@code maxContext} of them) are encoded
 * and fed to a concept LM session; the predicted vector is decoded and compared with the true sentence
 * {@code k}. Summary: corpus BLEU-4 (0-100) and mean ROUGE-L F1 ({@link TextMetrics}), the share of
 * hypotheses equal to the reference (white space collapsed), and the mean cosine between the predicted
 * vector and the true sentence's vector.
 *
 * <pre>{@code
 * NextSentenceEvaluator e = new NextSentenceEvaluator(llm.encoder(), llm.conceptLm(), llm.decoder(),
 *         new NextSentenceEvaluator.Options(0, DecodingOptions.beam(5), 0, Language.ENGLISH));
 * NextSentenceEvaluator.Summary s = e.evaluate(NextSentenceEvaluator.documents(raw, segmenter), pair -> {});
 * }</pre>
 *
 * <p>Thread-safe if the components are (the SDK's are); one evaluation per call.
 */
public final class NextSentenceEvaluator {
    private static final int DECODE_BATCH = 16;

    /**
     * Settings.
     *
     * @param maxContext most context sentences before a prediction; 0 = the concept LM's limit
     * @param decoding decoding of the predicted vectors
     * @param maxWords score only next sentences of at most this many words (they stay in the context); 0 = all
     * @param language language of the documents and of the decoded sentences
     */
    public record Options(int maxContext, DecodingOptions decoding, int maxWords, Language language) {
        /** Validates. */
        public Options {
            if (maxContext < 0 || maxWords < 0 || decoding == null || language == null) {
                throw new InvalidInputException("expected maxContext >= 0, maxWords >= 0, decoding options and a language, "
                        + "found " + maxContext + ", " + maxWords + ", " + decoding + ", " + language);
            }
        }
    }

    /**
     * One scored position.
     *
     * @param contextLast the last context sentence (white space collapsed)
     * @param reference the true next sentence (white space collapsed)
     * @param hypothesis the decoded prediction
     * @param cosine cosine between the predicted vector and the true sentence's vector
     * @param prediction the predicted vector
     * @param target the true sentence's vector
     */
    public record Pair(String contextLast, String reference, String hypothesis, double cosine, float[] prediction,
            float[] target) {}

    /**
     * Result of {@link #evaluate}.
     *
     * @param docs documents evaluated
     * @param pairs positions scored
     * @param bleu corpus BLEU-4, 0-100
     * @param rougeL mean ROUGE-L F1, 0-1
     * @param exact share of hypotheses equal to their reference
     * @param meanCosine mean cosine to the true next vector
     * @param chrF corpus chrF, 0-100 ({@link TextMetrics#corpusChrF})
     * @param meanNearestCosine mean, over predictions, of the largest cosine with any true next vector of the
     *     evaluation (how close predictions stay to real sentence embeddings)
     * @param meanPredictionNorm mean L2 norm of the predicted vectors
     * @param meanTargetNorm mean L2 norm of the true next vectors
     */
    public record Summary(int docs, int pairs, double bleu, double rougeL, double exact, double meanCosine, double chrF,
            double meanNearestCosine, double meanPredictionNorm, double meanTargetNorm) {}

    /** Progress of an evaluation. */
    public interface Listener {
        /** @param pair a scored position */
        void onPair(Pair pair);

        /**
         * After each document.
         *
         * @param pairs pairs scored so far
         * @param done documents done
         * @param total documents in all
         */
        default void onDocument(int pairs, int done, int total) {}
    }

    private final ConceptEncoder encoder;
    private final ConceptLM lm;
    private final ConceptDecoder decoder;
    private final Options options;

    /**
     * @param encoder the SONAR encoder
     * @param lm the concept LM
     * @param decoder the SONAR decoder
     * @param options settings
     */
    public NextSentenceEvaluator(ConceptEncoder encoder, ConceptLM lm, ConceptDecoder decoder, Options options) {
        this.encoder = encoder;
        this.lm = lm;
        this.decoder = decoder;
        this.options = options;
    }

    /**
     * The documents with at least two sentences, split as in training ({@link CorpusReader.RawDocument#split}).
     *
     * @param raw documents as read
     * @param segmenter the language's segmenter
     * @return their sentence lists
     */
    public static List<List<String>> documents(List<CorpusReader.RawDocument> raw, SentenceSegmenter segmenter) {
        List<List<String>> out = new ArrayList<>();
        for (CorpusReader.RawDocument r : raw) {
            List<String> s = r.split(segmenter);
            if (s.size() >= 2) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * Prompts for generation: the first {@code k} sentences of {@code n} paragraphs (seeded sample) among those
     * with at least {@code k} sentences.
     *
     * @param raw documents as read
     * @param segmenter the language's segmenter
     * @param n paragraphs
     * @param k sentences of each used as its prompt (>= 1)
     * @param seed seed of the sample
     * @return the prompts, one text each
     * @throws InvalidInputException if no paragraph has {@code k} sentences
     */
    public static List<String> openings(List<CorpusReader.RawDocument> raw, SentenceSegmenter segmenter, int n, int k,
            long seed) {
        return openings(raw, segmenter, n, k, seed, 0).stream().map(Opening::prompt).toList();
    }

    /**
     * A generation prompt and what the held-out text says after it.
     *
     * @param prompt the first sentences of a paragraph (white space collapsed)
     * @param continuation the sentences that follow it in the text: the rest of its paragraph, then the next
     *     paragraphs of the same file, as many as were asked for
     */
    public record Opening(String prompt, List<String> continuation) {}

    /**
     * The same prompts as {@link #openings(List, SentenceSegmenter, int, int, long)}, each with its true
     * continuation: what the author wrote next, the yardstick for what is generated from the prompt.
     *
     * <pre>{@code
     * List<Opening> o = NextSentenceEvaluator.openings(CorpusReader.read(path), segmenter, 20, 2, 1, 8);
     * GenerationMetrics.of(o.stream().map(Opening::prompt).toList(),
     *         o.stream().map(Opening::continuation).toList(), vocabulary);
     * }</pre>
     *
     * @param raw documents as read, in text order
     * @param segmenter the language's segmenter
     * @param n paragraphs
     * @param k sentences of each used as its prompt (>= 1)
     * @param seed seed of the sample
     * @param next sentences of true continuation wanted per prompt (>= 0); fewer where the file ends first.
     *     Paragraphs of one sentence count here, though they are never prompts
     * @return the prompts with their continuations
     * @throws InvalidInputException if no paragraph has {@code k} sentences or {@code next} is negative
     */
    public static List<Opening> openings(List<CorpusReader.RawDocument> raw, SentenceSegmenter segmenter, int n, int k,
            long seed, int next) {
        if (next < 0) {
            throw new InvalidInputException("expected a continuation length >= 0, found " + next);
        }
        List<List<String>> split = raw.stream().map(r -> r.split(segmenter)).toList();
        List<Integer> longEnough = new ArrayList<>();
        for (int i = 0; i < split.size(); i++) {
            if (split.get(i).size() >= 2 && split.get(i).size() >= k) { // documents(), then at least k
                longEnough.add(i);
            }
        }
        if (longEnough.isEmpty()) {
            throw new InvalidInputException("expected paragraphs of at least " + k + " sentences, found none");
        }
        List<Opening> out = new ArrayList<>();
        for (int i : sample(longEnough, n, seed)) {
            List<String> d = split.get(i);
            List<String> after = new ArrayList<>(d.subList(k, d.size()));
            for (int j = i + 1; after.size() < next && j < split.size() && raw.get(i).sameTextFile(raw.get(j)); j++) {
                after.addAll(split.get(j));
            }
            List<String> continuation = after.subList(0, Math.min(next, after.size())).stream()
                    .map(TextMetrics::normalize).toList();
            out.add(new Opening(TextMetrics.normalize(String.join(" ", d.subList(0, k))), continuation));
        }
        return out;
    }

    /**
     * @param docs items
     * @param n at most this many, or null for all
     * @param seed seed of the shuffle that picks them
     * @param <T> item type
     * @return at most {@code n} items chosen by a seeded shuffle, in their original order
     */
    public static <T> List<T> sample(List<T> docs, Integer n, long seed) {
        if (n == null || n >= docs.size()) {
            return docs;
        }
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            idx.add(i);
        }
        Collections.shuffle(idx, new Random(seed));
        List<Integer> keep = new ArrayList<>(idx.subList(0, n));
        Collections.sort(keep);
        List<T> out = new ArrayList<>(n);
        for (int i : keep) {
            out.add(docs.get(i));
        }
        return out;
    }

    /**
     * @param docs documents of at least two sentences
     * @param listener receives every pair and per-document progress
     * @return the summary
     * @throws InvalidInputException if no position passes {@code maxWords}
     */
    public Summary evaluate(List<List<String>> docs, Listener listener) {
        int window = options.maxContext() == 0 ? lm.contextLimit() : Math.min(options.maxContext(), lm.contextLimit());
        List<String> hyps = new ArrayList<>();
        List<String> refs = new ArrayList<>();
        double cosSum = 0;
        int exact = 0;
        int done = 0;
        List<float[]> predictions = new ArrayList<>();
        List<float[]> targets = new ArrayList<>();
        for (List<String> doc : docs) {
            for (Pair p : evaluate(doc, window)) {
                predictions.add(p.prediction());
                targets.add(p.target());
                hyps.add(p.hypothesis());
                refs.add(p.reference());
                cosSum += p.cosine();
                exact += TextMetrics.normalize(p.hypothesis()).equals(p.reference()) ? 1 : 0;
                listener.onPair(p);
            }
            listener.onDocument(hyps.size(), ++done, docs.size());
        }
        if (hyps.isEmpty()) {
            throw new InvalidInputException("expected at least one next sentence of at most " + options.maxWords()
                    + " words, found none in " + docs.size() + " documents (raise the word limit)");
        }
        int n = hyps.size();
        double nearest = 0;
        double predNorm = 0;
        double targetNorm = 0;
        for (int i = 0; i < n; i++) {
            nearest += Vectors.cosine(predictions.get(i), targets.get(nearest(targets, predictions.get(i))));
            predNorm += norm(predictions.get(i));
            targetNorm += norm(targets.get(i));
        }
        return new Summary(docs.size(), n, 100 * TextMetrics.corpusBleu(hyps, refs), TextMetrics.meanRougeL(hyps, refs),
                exact / (double) n, cosSum / n, TextMetrics.corpusChrF(hyps, refs), nearest / n, predNorm / n, targetNorm / n);
    }

    /**
     * @param candidates vectors (at least one)
     * @param v a vector
     * @return the index of the candidate with the largest cosine to {@code v}, the first on a tie
     */
    static int nearest(List<float[]> candidates, float[] v) {
        int best = 0;
        double bestCos = Vectors.cosine(v, candidates.get(0));
        for (int i = 1; i < candidates.size(); i++) {
            double c = Vectors.cosine(v, candidates.get(i));
            if (c > bestCos) {
                bestCos = c;
                best = i;
            }
        }
        return best;
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x * (double) x;
        }
        return Math.sqrt(s);
    }

    /** The scored pairs of one document (positions whose next sentence passes {@code maxWords}). */
    private List<Pair> evaluate(List<String> doc, int window) {
        Language lang = options.language();
        List<float[]> emb = encoder.encode(doc, lang);
        List<Integer> ks = new ArrayList<>();
        List<float[]> preds = new ArrayList<>();
        try (ConceptLMSession s = lm.newSession()) {
            for (int k = 1; k < doc.size(); k++) {
                float[] p;
                if (k <= window) {
                    s.append(emb.get(k - 1));
                    p = s.predictNext();
                } else {
                    try (ConceptLMSession w = lm.newSession()) {
                        w.append(emb.subList(k - window, k));
                        p = w.predictNext();
                    }
                }
                if (options.maxWords() == 0 || TextMetrics.words(doc.get(k)) <= options.maxWords()) {
                    ks.add(k);
                    preds.add(p);
                }
            }
        }
        List<Pair> out = new ArrayList<>(ks.size());
        for (int i = 0; i < ks.size(); i += DECODE_BATCH) {
            List<float[]> part = preds.subList(i, Math.min(ks.size(), i + DECODE_BATCH));
            List<DecodedSentence> d = decoder.decode(part, lang, options.decoding());
            for (int j = 0; j < part.size(); j++) {
                int k = ks.get(i + j);
                out.add(new Pair(TextMetrics.normalize(doc.get(k - 1)), TextMetrics.normalize(doc.get(k)), d.get(j).text(),
                        Vectors.cosine(part.get(j), emb.get(k)), part.get(j), emb.get(k)));
            }
        }
        return out;
    }
}
