package org.sonarllm.training.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.sonarllm.InvalidInputException;

/**
 * Text-overlap metrics of the evaluations ({@link NextSentenceEvaluator}, {@link SpaceEvaluator}), on a
 * simple tokenization (runs of letters
 * or digits, and each other non-space character as its own token; case kept):
 * <ul>
 *   <li>corpus BLEU-4 (Papineni et al. 2002): clipped n-gram precisions summed over the corpus,
 *   geometric mean of p1..p4 (0 if any is 0), brevity penalty {@code exp(1 - r/c)} when {@code c < r};</li>
 *   <li>ROUGE-L F1 (Lin 2004) from the longest common subsequence, beta = 1, averaged over pairs.</li>
 * </ul>
 * Both return values in [0, 1].
 *
 * <pre>{@code
 * double bleu = TextMetrics.corpusBleu(List.of("the cat sat"), List.of("the cat sat"));  // 1.0
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class TextMetrics {
    private static final Pattern TOKEN = Pattern.compile("[\\p{L}\\p{N}]+|\\S");

    private TextMetrics() {}

    /**
     * @param text a text
     * @return its tokens
     */
    public static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    /**
     * @param sentence a text
     * @return its number of white-space separated words
     */
    public static int words(String sentence) {
        String s = sentence.strip();
        return s.isEmpty() ? 0 : s.split("\\s+").length;
    }

    /**
     * @param text a text
     * @return the text with runs of white space (line breaks inside a paragraph) collapsed to one space, stripped
     */
    public static String normalize(String text) {
        return text.strip().replaceAll("\\s+", " ");
    }

    /**
     * @param hypotheses system outputs
     * @param references one reference per output
     * @return corpus BLEU-4 in [0, 1]
     */
    public static double corpusBleu(List<String> hypotheses, List<String> references) {
        check(hypotheses, references);
        long[] match = new long[4];
        long[] total = new long[4];
        long hypLen = 0;
        long refLen = 0;
        for (int i = 0; i < hypotheses.size(); i++) {
            List<String> h = tokens(hypotheses.get(i));
            List<String> r = tokens(references.get(i));
            hypLen += h.size();
            refLen += r.size();
            for (int n = 1; n <= 4; n++) {
                Map<String, Integer> hc = ngrams(h, n);
                Map<String, Integer> rc = ngrams(r, n);
                for (Map.Entry<String, Integer> e : hc.entrySet()) {
                    match[n - 1] += Math.min(e.getValue(), rc.getOrDefault(e.getKey(), 0));
                }
                total[n - 1] += Math.max(0, h.size() - n + 1);
            }
        }
        double logSum = 0;
        for (int n = 0; n < 4; n++) {
            if (match[n] == 0 || total[n] == 0) {
                return 0;
            }
            logSum += Math.log(match[n] / (double) total[n]);
        }
        double bp = hypLen >= refLen ? 1 : Math.exp(1 - refLen / (double) hypLen);
        return bp * Math.exp(logSum / 4);
    }

    /**
     * @param hypothesis output
     * @param reference reference
     * @return ROUGE-L F1 in [0, 1] (1 if both are empty, 0 if one is)
     */
    public static double rougeL(String hypothesis, String reference) {
        List<String> h = tokens(hypothesis);
        List<String> r = tokens(reference);
        if (h.isEmpty() && r.isEmpty()) {
            return 1;
        }
        if (h.isEmpty() || r.isEmpty()) {
            return 0;
        }
        int[][] l = new int[h.size() + 1][r.size() + 1];
        for (int i = 1; i <= h.size(); i++) {
            for (int j = 1; j <= r.size(); j++) {
                l[i][j] = h.get(i - 1).equals(r.get(j - 1)) ? l[i - 1][j - 1] + 1 : Math.max(l[i - 1][j], l[i][j - 1]);
            }
        }
        int lcs = l[h.size()][r.size()];
        if (lcs == 0) {
            return 0;
        }
        double p = lcs / (double) h.size();
        double rec = lcs / (double) r.size();
        return 2 * p * rec / (p + rec);
    }

    /**
     * @param hypotheses outputs
     * @param references references
     * @return mean ROUGE-L F1
     */
    public static double meanRougeL(List<String> hypotheses, List<String> references) {
        check(hypotheses, references);
        double s = 0;
        for (int i = 0; i < hypotheses.size(); i++) {
            s += rougeL(hypotheses.get(i), references.get(i));
        }
        return s / hypotheses.size();
    }

    /**
     * Corpus chrF (Popovic 2015, as sacreBLEU computes it): character n-grams of orders 1..6 of the texts
     * without white space, matched counts summed over the corpus; per order precision and recall, the
     * F-beta score with beta 2, averaged over the orders that both sides have.
     *
     * @param hypotheses system outputs
     * @param references one reference per output
     * @return chrF in [0, 100]
     */
    public static double corpusChrF(List<String> hypotheses, List<String> references) {
        check(hypotheses, references);
        int orders = 6;
        long[] hyp = new long[orders];
        long[] ref = new long[orders];
        long[] match = new long[orders];
        for (int i = 0; i < hypotheses.size(); i++) {
            List<String> h = characters(hypotheses.get(i));
            List<String> r = characters(references.get(i));
            for (int n = 1; n <= orders; n++) {
                Map<String, Integer> hc = ngrams(h, n);
                Map<String, Integer> rc = ngrams(r, n);
                for (Map.Entry<String, Integer> e : hc.entrySet()) {
                    hyp[n - 1] += e.getValue();
                    match[n - 1] += Math.min(e.getValue(), rc.getOrDefault(e.getKey(), 0));
                }
                for (int c : rc.values()) {
                    ref[n - 1] += c;
                }
            }
        }
        double beta2 = 4;
        double sum = 0;
        int effective = 0;
        for (int n = 0; n < orders; n++) {
            double p = hyp[n] > 0 ? (double) match[n] / hyp[n] : 1e-16;
            double r = ref[n] > 0 ? (double) match[n] / ref[n] : 1e-16;
            double denom = beta2 * p + r;
            sum += denom > 0 ? (1 + beta2) * p * r / denom : 1e-16;
            effective += hyp[n] > 0 && ref[n] > 0 ? 1 : 0;
        }
        return effective == 0 ? 0 : 100 * sum / effective;
    }

    /** The characters (code points) of a text without its white space, for {@link #ngrams}. */
    private static List<String> characters(String text) {
        List<String> out = new ArrayList<>();
        text.replaceAll("\\s+", "").codePoints().forEach(c -> out.add(Character.toString(c)));
        return out;
    }

    private static void check(List<String> h, List<String> r) {
        if (h.size() != r.size() || h.isEmpty()) {
            throw new InvalidInputException("expected equally many (> 0) hypotheses and references, found "
                    + h.size() + " and " + r.size());
        }
    }

    private static Map<String, Integer> ngrams(List<String> t, int n) {
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i + n <= t.size(); i++) {
            m.merge(String.join("\u0001", t.subList(i, i + n)), 1, Integer::sum);
        }
        return m;
    }
}
