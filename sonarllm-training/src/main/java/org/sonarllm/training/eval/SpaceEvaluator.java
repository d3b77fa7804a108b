package org.sonarllm.training.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.ConceptDecoder;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.encode.ConceptEncoder;
import org.sonarllm.encode.Vectors;
import org.sonarllm.lang.Language;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.training.data.CorpusReader;

/**
 * Quality of a SONAR space (an encoder/decoder pair, e.g. one trained by
 * {@code org.sonarllm.training.sonar.AutoencoderTrainer} and converted into a bundle), through the path
 * users run: held-out sentences of at most {@code maxWords} words (deduplicated, a seeded sample) are
 * encoded and decoded; scored by corpus BLEU-4 ({@link TextMetrics}) and exact match; retrieval: the
 * re-encoded reconstruction of each sentence must be closer (cosine) to the sentence's own embedding than
 * to those of every distractor held-out sentence (top-1 accuracy).
 *
 * <pre>{@code
 * SpaceEvaluator e = new SpaceEvaluator(llm.encoder(), llm.decoder(), SpaceEvaluator.Options.defaults());
 * SpaceEvaluator.Report r = e.evaluate(SpaceEvaluator.sentences(Path.of("heldout.txt"), Language.ENGLISH));
 * }</pre>
 *
 * <p>Thread-safe if the components are; one evaluation per call.
 */
public final class SpaceEvaluator {
    private static final int ENCODE_BATCH = 64;
    private static final int DECODE_BATCH = 16;
    private static final int EXAMPLES = 8;

    /**
     * Settings.
     *
     * @param sentences sentences to reconstruct
     * @param distractors distractor sentences for retrieval
     * @param maxWords longest sentence of the pool, in words
     * @param seed seed of the sample
     * @param decoding decoding of the embeddings
     * @param language language of the sentences
     */
    public record Options(int sentences, int distractors, int maxWords, long seed, DecodingOptions decoding,
            Language language) {
        /** Validates. */
        public Options {
            if (sentences < 1 || distractors < 0 || maxWords < 1 || decoding == null || language == null) {
                throw new InvalidInputException("expected >= 1 sentences, >= 0 distractors, maxWords >= 1, decoding options "
                        + "and a language, found " + sentences + ", " + distractors + ", " + maxWords + ", " + decoding
                        + ", " + language);
            }
        }

        /** @return 500 sentences, 1000 distractors, at most 20 words, seed 1, beam 5 with 64 tokens, English */
        public static Options defaults() {
            return new Options(500, 1000, 20, 1, DecodingOptions.beam(5).withMaxTokens(64), Language.ENGLISH);
        }
    }

    /**
     * One reconstruction.
     *
     * @param source the held-out sentence
     * @param reconstruction its decoded embedding
     */
    public record Example(String source, String reconstruction) {}

    /**
     * Result of {@link #evaluate}.
     *
     * @param sentences sentences reconstructed
     * @param distractors distractors of the retrieval
     * @param bleu corpus BLEU-4 of the reconstructions, 0-100
     * @param exactMatch share of reconstructions equal to their source
     * @param retrievalTop1 share of re-encoded reconstructions closest to their own source
     * @param reconstructions every sentence with its reconstruction, in sample order
     */
    public record Report(int sentences, int distractors, double bleu, double exactMatch, double retrievalTop1,
            List<Example> reconstructions) {
        /** Copies the list. */
        public Report {
            reconstructions = List.copyOf(reconstructions);
        }

        /** @return the first 8 reconstructions */
        public List<Example> examples() {
            return reconstructions.subList(0, Math.min(EXAMPLES, reconstructions.size()));
        }
    }

    /**
     * Non-words in the reconstructions of <i>common</i> sentences: those all of whose words (letter runs,
     * lower-cased, as {@link GenerationMetrics#words}) are in a training vocabulary, so that a word of the
     * reconstruction outside it is the space's invention, not a rare name it failed to copy.
     *
     * <pre>{@code
     * SpaceEvaluator.NonWords n = SpaceEvaluator.nonWords(report.reconstructions(), GenerationMetrics.vocabulary(texts));
     * System.out.println(n.withNonWords() + " of " + n.commonSentences() + " common sentences gain a non-word");
     * }</pre>
     *
     * @param commonSentences sentences with at least one word, all in the vocabulary
     * @param withNonWords of those, the reconstructions with a word outside it
     * @param words words of their reconstructions
     * @param nonWords of those, the words outside the vocabulary
     * @param examples the first (at most 20) distinct non-words, in order of appearance
     * @param bleu corpus BLEU-4 of the common sentences' reconstructions, 0-100 (0 without common sentences)
     * @param exactMatch share of the common sentences reconstructed exactly (0 without common sentences)
     */
    public record NonWords(int commonSentences, int withNonWords, int words, int nonWords, List<String> examples,
            double bleu, double exactMatch) {
        /** @return nonWords / words, 0 without words */
        public double nonWordShare() {
            return words == 0 ? 0 : (double) nonWords / words;
        }
    }

    private final ConceptEncoder encoder;
    private final ConceptDecoder decoder;
    private final Options options;

    /**
     * @param encoder the space's encoder
     * @param decoder the space's decoder
     * @param options settings
     */
    public SpaceEvaluator(ConceptEncoder encoder, ConceptDecoder decoder, Options options) {
        this.encoder = encoder;
        this.decoder = decoder;
        this.options = options;
    }

    /**
     * @param corpus a held-out text file or directory, read as books ({@link CorpusReader#readBooks})
     * @param language its language (segmenter)
     * @return its sentences in order
     */
    public static List<String> sentences(Path corpus, Language language) {
        List<String> out = new ArrayList<>();
        for (CorpusReader.RawDocument d : CorpusReader.readBooks(corpus)) {
            out.addAll(d.split(SentenceSegmenters.forLanguage(language)));
        }
        return out;
    }

    /**
     * @param heldOut held-out sentences (the pool: deduplicated, cut to {@code maxWords}, sampled)
     * @return the report
     * @throws InvalidInputException if the pool is smaller than sentences + distractors
     */
    public Report evaluate(List<String> heldOut) {
        List<String> pool = new ArrayList<>(new LinkedHashSet<>(heldOut));
        pool.removeIf(s -> TextMetrics.words(s) > options.maxWords());
        Collections.shuffle(pool, new Random(options.seed()));
        int n = options.sentences();
        if (pool.size() < n + options.distractors()) {
            throw new InvalidInputException("expected at least " + (n + options.distractors()) + " held-out sentences of <= "
                    + options.maxWords() + " words, found " + pool.size());
        }
        List<String> queries = pool.subList(0, n);
        List<float[]> qEmb = encode(queries);
        List<float[]> dEmb = encode(pool.subList(n, n + options.distractors()));
        List<String> hyp = new ArrayList<>();
        for (int i = 0; i < n; i += DECODE_BATCH) {
            for (DecodedSentence s : decoder.decode(qEmb.subList(i, Math.min(n, i + DECODE_BATCH)), options.language(),
                    options.decoding())) {
                hyp.add(s.text().strip());
            }
        }
        List<float[]> reEmb = encode(hyp.stream().map(h -> h.isEmpty() ? "." : h).toList());
        int exact = 0;
        int top1 = 0;
        for (int i = 0; i < n; i++) {
            exact += hyp.get(i).equals(queries.get(i)) ? 1 : 0;
            double own = Vectors.cosine(reEmb.get(i), qEmb.get(i));
            boolean best = true;
            for (float[] d : dEmb) {
                if (Vectors.cosine(reEmb.get(i), d) >= own) {
                    best = false;
                    break;
                }
            }
            top1 += best ? 1 : 0;
        }
        List<Example> ex = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ex.add(new Example(queries.get(i), hyp.get(i)));
        }
        return new Report(n, options.distractors(), 100 * TextMetrics.corpusBleu(hyp, queries), exact / (double) n,
                top1 / (double) n, ex);
    }

    /**
     * @param reconstructions sentences and their reconstructions ({@link Report#reconstructions})
     * @param vocabulary the training words ({@link GenerationMetrics#vocabulary})
     * @return the non-words the space adds to the common ones
     */
    public static NonWords nonWords(List<Example> reconstructions, Set<String> vocabulary) {
        int common = 0;
        int with = 0;
        int words = 0;
        int non = 0;
        Set<String> examples = new LinkedHashSet<>();
        List<String> sources = new ArrayList<>();
        List<String> hyps = new ArrayList<>();
        int exact = 0;
        for (Example e : reconstructions) {
            List<String> source = GenerationMetrics.words(e.source());
            if (source.isEmpty() || !vocabulary.containsAll(source)) {
                continue;
            }
            common++;
            sources.add(e.source());
            hyps.add(e.reconstruction());
            exact += e.reconstruction().equals(e.source()) ? 1 : 0;
            List<String> reconstruction = GenerationMetrics.words(e.reconstruction());
            int outside = GenerationMetrics.outside(reconstruction, vocabulary, examples);
            words += reconstruction.size();
            non += outside;
            with += outside > 0 ? 1 : 0;
        }
        return new NonWords(common, with, words, non, List.copyOf(examples),
                common == 0 ? 0 : 100 * TextMetrics.corpusBleu(hyps, sources), common == 0 ? 0 : exact / (double) common);
    }

    private List<float[]> encode(List<String> s) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < s.size(); i += ENCODE_BATCH) {
            out.addAll(encoder.encode(s.subList(i, Math.min(s.size(), i + ENCODE_BATCH)), options.language()));
        }
        return out;
    }
}
