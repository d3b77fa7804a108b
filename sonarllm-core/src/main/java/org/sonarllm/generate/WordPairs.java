package org.sonarllm.generate;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.sonarllm.InvalidInputException;

/**
 * Word-pair overlap between sentences: the share of a sentence's adjacent word pairs that also occur in
 * another sentence. It is what the repetition stop's overlap test ({@link StopRules#repetitionOverlap()})
 * measures, to catch a concept LM's near-repeats: variants of one sentence that differ in a few words, too
 * far apart in the sentence space for a cosine threshold that spares distinct sentences.
 *
 * <p>Words are maximal runs of Unicode letters and digits, compared in lower case; punctuation and white
 * space only separate them. A sentence's pairs are its adjacent words as a set. The overlap of {@code
 * sentence} with {@code earlier} is the number of {@code sentence}'s pairs found among {@code earlier}'s,
 * divided by the number of {@code sentence}'s pairs; 0 when {@code sentence} has fewer than two words.
 * Scripts written without spaces between words (Chinese, Japanese, Thai) give one word per run and so
 * no pairs: for them the overlap is 0 and only the cosine and verbatim tests apply.
 *
 * <pre>{@code
 * WordPairs.overlap("It is impossible for him.", "It is impossible, I fear.");   // 2 of 4 pairs: 0.5
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class WordPairs {
    private WordPairs() {}

    /**
     * @param sentence the sentence whose pairs are counted
     * @param earlier the sentence they are looked up in
     * @return the share of {@code sentence}'s word pairs that occur in {@code earlier}, in [0, 1]
     */
    public static double overlap(String sentence, String earlier) {
        return maxOverlap(sentence, List.of(earlier));
    }

    /**
     * @param sentence the sentence whose pairs are counted
     * @param earlier sentences to compare it with
     * @return the largest {@link #overlap(String, String)} with one of {@code earlier}, 0 when there is none
     */
    public static double maxOverlap(String sentence, List<String> earlier) {
        Set<String> own = pairs(sentence);
        if (own.isEmpty()) {
            return 0;
        }
        double best = 0;
        for (String e : earlier) {
            Set<String> other = pairs(e);
            int shared = 0;
            for (String p : own) {
                if (other.contains(p)) {
                    shared++;
                }
            }
            best = Math.max(best, shared / (double) own.size());
        }
        return best;
    }

    /**
     * @param overlap a share of word pairs, as the repetition stop takes it
     * @throws InvalidInputException unless it is in [0, 1]
     */
    static void checkOverlap(double overlap) {
        if (!(overlap >= 0 && overlap <= 1)) {
            throw new InvalidInputException("repetition word-pair overlap must be in [0, 1], got " + overlap);
        }
    }

    /** @return the sentence's adjacent word pairs, each as "first second" in lower case */
    static Set<String> pairs(String sentence) {
        Set<String> out = new HashSet<>();
        String previous = null;
        int i = 0;
        int n = sentence.length();
        while (i < n) {
            while (i < n && !Character.isLetterOrDigit(sentence.codePointAt(i))) {
                i += Character.charCount(sentence.codePointAt(i));
            }
            int start = i;
            while (i < n && Character.isLetterOrDigit(sentence.codePointAt(i))) {
                i += Character.charCount(sentence.codePointAt(i));
            }
            if (i > start) {
                String word = sentence.substring(start, i).toLowerCase(Locale.ROOT);
                if (previous != null) {
                    out.add(previous + ' ' + word);
                }
                previous = word;
            }
        }
        return out;
    }
}
