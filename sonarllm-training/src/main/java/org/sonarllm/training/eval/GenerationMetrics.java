package org.sonarllm.training.eval;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.Lexicon;

/**
 * What a reader notices in generated continuations, as numbers: words that are not words of the training
 * text, sentences repeated verbatim, little variety, and continuations that ignore their prompt.
 * <ul>
 *   <li><b>vocabulary share</b>: of the continuations' words (letter runs, lower-cased), the share found in
 *   the training text's words;</li>
 *   <li><b>verbatim repeats</b>: generated sentences equal (stripped) to an earlier sentence of the same
 *   continuation;</li>
 *   <li><b>distinct-2</b>: distinct token bigrams / all token bigrams, pooled over the continuations
 *   ({@link TextMetrics#tokens}, lower-cased, within a continuation);</li>
 *   <li><b>prompt dependence</b>: a continuation depends on its prompt when it shares more content words
 *   (words of at least three letters outside a short English stop list) with its own prompt than with the
 *   other prompts on average; the share of such continuations;</li>
 *   <li><b>stutters</b>: words (letter runs, lower-cased) equal to the word just before them within a sentence
 *   ("had had been of of"), what beam search makes of a vector the decoder is unsure of; counted per sentence,
 *   so a sentence's last word and the next one's first are never a pair.</li>
 * </ul>
 *
 * <pre>{@code
 * Set<String> vocab = GenerationMetrics.vocabulary(trainingTexts);
 * GenerationMetrics.Report r = GenerationMetrics.of(prompts, continuations, vocab);
 * System.out.println(r.vocabularyShare() + " " + r.verbatimRepeats() + " " + r.distinct2());
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class GenerationMetrics {
    /** Most words outside the vocabulary a report lists. */
    static final int MAX_OUTSIDE = 20;
    private static final Set<String> STOP = Set.of(("the and but for nor yet with from into onto upon about above after "
            + "again against all any are aren because been before being below between both can cannot could did does doing "
            + "down during each few further had has have having her here hers herself him himself his how its itself just "
            + "more most myself not now off once only other ought our ours ourselves out over own same she should some such "
            + "than that their theirs them themselves then there these they this those through too under until very was "
            + "were what when where which while who whom why will would you your yours yourself yourselves one said say "
            + "must shall may might much many every never ever also well yes still though").split(" "));

    private GenerationMetrics() {}

    /**
     * The metrics of a set of continuations.
     *
     * @param prompts continuations measured
     * @param sentences generated sentences in all
     * @param words generated words (letter runs)
     * @param vocabularyShare share of those words found in the training vocabulary
     * @param outside up to 20 distinct words outside it, in order of appearance
     * @param verbatimRepeats sentences equal to an earlier one of the same continuation
     * @param distinct2 distinct / all token bigrams
     * @param promptDependent continuations sharing more content words with their own prompt than with the
     *     others' on average
     * @param meanOwnOverlap mean number of content words shared with the own prompt
     * @param meanOtherOverlap mean, over continuations, of the mean number shared with each other prompt
     * @param stutters words equal to the word just before them in their sentence
     */
    public record Report(int prompts, int sentences, int words, double vocabularyShare, List<String> outside,
            int verbatimRepeats, double distinct2, int promptDependent, double meanOwnOverlap, double meanOtherOverlap,
            int stutters) {
        /** @return promptDependent / prompts */
        public double promptDependentShare() {
            return prompts == 0 ? 0 : (double) promptDependent / prompts;
        }

        /** @return stutters per 100 words (0 without words) */
        public double stuttersPer100Words() {
            return words == 0 ? 0 : 100.0 * stutters / words;
        }
    }

    /**
     * @param texts training texts
     * @return their words, lower-cased
     */
    public static Set<String> vocabulary(Iterable<String> texts) {
        Set<String> v = new HashSet<>();
        for (String t : texts) {
            v.addAll(words(t));
        }
        return v;
    }

    /**
     * @param text a text
     * @return its letter runs, lower-cased, in order: the words of {@link Lexicon#words}, what a decoder's lexicon
     *     constrains
     */
    public static List<String> words(String text) {
        return Lexicon.words(text);
    }

    /**
     * @param text a text
     * @return its content words (at least three letters, not a stop word), lower-cased
     */
    public static Set<String> contentWords(String text) {
        Set<String> out = new HashSet<>();
        for (String w : words(text)) {
            if (w.length() >= 3 && !STOP.contains(w)) {
                out.add(w);
            }
        }
        return out;
    }

    /**
     * @param prompts the prompts, one per continuation
     * @param continuations the generated sentences of each prompt
     * @param vocabulary the training words ({@link #vocabulary})
     * @return the metrics
     * @throws InvalidInputException if the lists differ in length or are empty
     */
    public static Report of(List<String> prompts, List<List<String>> continuations, Set<String> vocabulary) {
        if (prompts.isEmpty() || prompts.size() != continuations.size()) {
            throw new InvalidInputException("expected one continuation per prompt (at least one), found " + prompts.size()
                    + " prompts and " + continuations.size() + " continuations");
        }
        int sentences = 0;
        int words = 0;
        int known = 0;
        Set<String> outside = new LinkedHashSet<>();
        int repeats = 0;
        int stutters = 0;
        Set<String> bigrams = new HashSet<>();
        int allBigrams = 0;
        List<Set<String>> content = new ArrayList<>();
        for (List<String> c : continuations) {
            sentences += c.size();
            Set<String> seen = new HashSet<>();
            List<String> tokens = new ArrayList<>();
            for (String s : c) {
                if (!seen.add(s.strip())) {
                    repeats++;
                }
                List<String> sentenceTokens = TextMetrics.tokens(s);
                List<String> sentenceWords = words(s);
                words += sentenceWords.size();
                for (int i = 1; i < sentenceWords.size(); i++) {
                    if (sentenceWords.get(i).equals(sentenceWords.get(i - 1))) {
                        stutters++;
                    }
                }
                known += sentenceWords.size() - outside(sentenceWords, vocabulary, outside);
                sentenceTokens.forEach(t -> tokens.add(t.toLowerCase(Locale.ROOT)));
            }
            for (int i = 0; i + 1 < tokens.size(); i++) {
                bigrams.add(tokens.get(i) + " " + tokens.get(i + 1));
                allBigrams++;
            }
            content.add(contentWords(String.join(" ", c)));
        }
        int n = prompts.size();
        List<Set<String>> promptWords = prompts.stream().map(GenerationMetrics::contentWords).toList();
        int dependent = 0;
        double own = 0;
        double other = 0;
        for (int i = 0; i < n; i++) {
            int o = shared(content.get(i), promptWords.get(i));
            double others = 0;
            for (int j = 0; j < n; j++) {
                if (j != i) {
                    others += shared(content.get(i), promptWords.get(j));
                }
            }
            others = n > 1 ? others / (n - 1) : 0;
            own += o;
            other += others;
            if (o > others) {
                dependent++;
            }
        }
        return new Report(n, sentences, words, words == 0 ? 0 : (double) known / words, List.copyOf(outside), repeats,
                allBigrams == 0 ? 0 : (double) bigrams.size() / allBigrams, dependent, own / n, other / n, stutters);
    }

    /**
     * @param words words ({@link #words})
     * @param vocabulary the training words
     * @param examples receives the words outside it, distinct, in order of appearance, until it holds
     *     {@value #MAX_OUTSIDE}
     * @return how many of {@code words} are outside it
     */
    static int outside(List<String> words, Set<String> vocabulary, Set<String> examples) {
        int n = 0;
        for (String w : words) {
            if (!vocabulary.contains(w)) {
                n++;
                if (examples.size() < MAX_OUTSIDE) {
                    examples.add(w);
                }
            }
        }
        return n;
    }

    private static int shared(Set<String> a, Set<String> b) {
        int k = 0;
        for (String w : a) {
            if (b.contains(w)) {
                k++;
            }
        }
        return k;
    }
}
