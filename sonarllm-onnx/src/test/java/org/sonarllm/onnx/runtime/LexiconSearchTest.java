package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sonarllm.decode.DecodingStrategy;
import org.sonarllm.decode.Lexicon;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * The searches under a lexicon, on a toy bigram decoder (the next token's log-probabilities depend on the last
 * token only, from a seeded table): a beam wide enough to keep every hypothesis finds exactly the best-scoring
 * sentence an exhaustive enumeration of the allowed sentences finds; greedy and sampling write only lexicon words;
 * a hand-made table gives the hand-derived choice.
 */
class LexiconSearchTest {
    static final int LANG = 12;
    static final int VOCAB = 13;
    /** ids 0-3 specials, 4-11 pieces (every prefix of a lexicon word can go on, as with real vocabularies' single
     * letters), 12 the language. */
    static final String[] TEXT = {null, null, null, null, " the", " ca", "t", "r", "s", ".", "h", "e", null};
    static final Lexicon WORDS = Lexicon.of(List.of("the", "cat", "car"));

    /** A bigram decoder: row = log-softmax of table[last token]. */
    static final class Bigram implements Stepper {
        final float[][] lp;

        Bigram(float[][] logits) {
            lp = new float[VOCAB][];
            for (int a = 0; a < VOCAB; a++) {
                double max = Double.NEGATIVE_INFINITY;
                for (float x : logits[a]) {
                    max = Math.max(max, x);
                }
                double z = 0;
                for (float x : logits[a]) {
                    z += Math.exp(x - max);
                }
                lp[a] = new float[VOCAB];
                for (int b = 0; b < VOCAB; b++) {
                    lp[a][b] = (float) (logits[a][b] - max - Math.log(z));
                }
            }
        }

        static Bigram random(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            float[][] t = new float[VOCAB][VOCAB];
            for (float[] row : t) {
                for (int b = 0; b < VOCAB; b++) {
                    row[b] = (float) (3 * r.nextDouble());
                }
            }
            return new Bigram(t);
        }

        StepResult rows(int[] last, int k, boolean full, float[] prompt) {
            int n = last.length;
            float[] all = new float[n * VOCAB];
            int[] offsets = new int[n];
            float[] eos = new float[n];
            for (int i = 0; i < n; i++) {
                System.arraycopy(lp[last[i]], 0, all, i * VOCAB, VOCAB);
                offsets[i] = i * VOCAB;
                eos[i] = lp[last[i]][SonarTokenizer.EOS];
            }
            int[] ids = new int[n * k];
            float[] vals = new float[n * k];
            StepResult.topK(all, offsets, VOCAB, k, ids, vals);
            return new StepResult(n, k, ids, vals, eos, prompt, full ? all : null, VOCAB);
        }

        @Override
        public StepResult prefill(int sentences, int lang, int k, boolean full) {
            int[] last = new int[sentences];
            float[] prompt = new float[sentences];
            Arrays.fill(last, lang);
            Arrays.fill(prompt, lp[SonarTokenizer.EOS][lang]);
            return rows(last, k, full, prompt);
        }

        @Override
        public StepResult next(int[] parents, int[] sentences, int[][] seqs, int k, boolean full) {
            int[] last = new int[seqs.length];
            for (int i = 0; i < seqs.length; i++) {
                last[i] = seqs[i][seqs[i].length - 1];
            }
            return rows(last, k, full, null);
        }

        @Override
        public void close() {}

        /** log p(lang) + the tokens' log-probabilities after the prompt */
        double logProb(int[] tokens) {
            double s = lp[SonarTokenizer.EOS][LANG];
            int last = LANG;
            for (int t : tokens) {
                s += lp[last][t];
                last = t;
            }
            return s;
        }
    }

    static String text(int[] ids) {
        StringBuilder b = new StringBuilder();
        for (int id : ids) {
            if (TEXT[id] != null) {
                b.append(TEXT[id]);
            }
        }
        return b.toString();
    }

    static boolean allowed(String text, boolean mayCut) {
        Lexicon.State s = WORDS.extend(Lexicon.start(), text);
        return s != null && (mayCut || WORDS.canEnd(s));
    }

    /** Every sentence of at most maxTokens tokens ending in </s>, all words in the lexicon (the last one may be cut
     * when </s> is the forced last token), and the best by beam search's score. */
    static int[] bestByEnumeration(Bigram m, int maxTokens) {
        int[] best = null;
        double bestScore = Double.NEGATIVE_INFINITY;
        List<int[]> prefixes = new ArrayList<>(List.of(new int[0]));
        for (int len = 0; len < maxTokens; len++) {
            List<int[]> longer = new ArrayList<>();
            for (int[] p : prefixes) {
                int[] ended = Arrays.copyOf(p, p.length + 1);
                ended[p.length] = SonarTokenizer.EOS;
                if (allowed(text(p), len == maxTokens - 1)) {
                    double score = m.logProb(ended) / (ended.length + 1);
                    if (score > bestScore) {
                        bestScore = score;
                        best = ended;
                    }
                }
                for (int t = 4; t <= 11; t++) {
                    int[] q = Arrays.copyOf(p, p.length + 1);
                    q[p.length] = t;
                    if (WORDS.extend(Lexicon.start(), text(q)) != null) {
                        longer.add(q);
                    }
                }
            }
            prefixes = longer;
        }
        return best;
    }

    @Test
    void aBeamThatKeepsEveryHypothesisFindsTheBestAllowedSentence() {
        WordFilter f = new WordFilter(WORDS, TEXT);
        for (long seed = 1; seed <= 40; seed++) {
            Bigram m = Bigram.random(seed);
            int maxTokens = 3;
            // at most 1 + 4 + 4 * 8 allowed sentences (4 pieces may begin one): beam 64 keeps them all, so beam search
            // is exhaustive here
            BeamSearch.Hypothesis h = BeamSearch.run(m, 1, LANG, maxTokens, 64, 1.0, f).get(0).get(0);
            int[] want = bestByEnumeration(m, maxTokens);
            assertArrayEquals(want, h.ids(), "seed " + seed + ": " + text(h.ids()) + " vs " + text(want));
            assertEquals(m.logProb(want) / (want.length + 1), h.score(), 1e-5);
        }
    }

    @Test
    void everySearchWritesOnlyLexiconWordsOnRandomDecoders() {
        WordFilter f = new WordFilter(WORDS, TEXT);
        for (long seed = 1; seed <= 40; seed++) {
            Bigram m = Bigram.random(seed);
            List<int[]> outs = new ArrayList<>();
            for (List<BeamSearch.Hypothesis> hs : BeamSearch.run(m, 2, LANG, 12, 3, 1.0, f)) {
                hs.forEach(h -> outs.add(h.ids()));
            }
            TokenSearch.run(m, 2, LANG, 12, new DecodingStrategy.Greedy(), f).forEach(r -> outs.add(r.ids()));
            TokenSearch.run(m, 2, LANG, 12, new DecodingStrategy.Sampling(1, 0, 1, seed), f)
                    .forEach(r -> outs.add(r.ids()));
            for (int[] ids : outs) {
                boolean cut = ids.length == 12 || ids[ids.length - 1] != SonarTokenizer.EOS;
                assertTrue(allowed(text(ids), cut), "seed " + seed + ": " + text(ids));
            }
        }
    }

    /** One decoder row as a step with {@code k} candidates and the whole row. */
    static StepResult step(float[] row, int k) {
        int[] ids = new int[k];
        float[] vals = new float[k];
        StepResult.topK(row, new int[] {0}, row.length, k, ids, vals);
        return new StepResult(1, k, ids, vals, new float[] {row[SonarTokenizer.EOS]}, null, row, row.length);
    }

    @Test
    void theFirstLookAtTheRowsBestTokensGivesWhatAScanOfTheWholeRowGives() {
        // 300 random pieces over "ab ." and a lexicon of a's and b's: rows where the candidates hold enough allowed
        // tokens and rows where they do not (the whole row then decides), ties included
        SplittableRandom r = new SplittableRandom(5);
        String alphabet = "ab .";
        String[] text = new String[300];
        for (int i = 4; i < text.length; i++) {
            StringBuilder b = new StringBuilder();
            for (int k = 1 + r.nextInt(3); k > 0; k--) {
                b.append(alphabet.charAt(r.nextInt(alphabet.length())));
            }
            text[i] = b.toString();
        }
        WordFilter f = new WordFilter(Lexicon.of(List.of("a", "ab", "abba", "bab", "baa")), text);
        assertEquals(64, f.look(10));
        assertEquals(160, f.look(40));
        int atFirstLook = 0;
        for (int trial = 0; trial < 300; trial++) {
            float[] row = new float[text.length];
            for (int v = 0; v < row.length; v++) {
                row[v] = r.nextInt(10) == 0 ? Float.NEGATIVE_INFINITY : (float) -r.nextInt(40);
            }
            Lexicon.State s = f.lexicon().extend(Lexicon.start(), trial % 3 == 0 ? " ab" : trial % 3 == 1 ? " b" : "");
            for (int n : new int[] {1, 3, 10, 40}) {
                StepResult st = step(row, f.look(n));
                List<WordFilter.Allowed> best = f.best(st, 0, s, n);
                assertEquals(f.scan(row, 0, row.length, s, n), best, "trial " + trial + ", n " + n);
                int allowedAmongCandidates = 0;
                for (int j = 0; j < st.k; j++) {
                    allowedAmongCandidates += st.logProbs[j] > Float.NEGATIVE_INFINITY && f.after(s, st.ids[j]) != null ? 1 : 0;
                }
                atFirstLook += allowedAmongCandidates >= n ? 1 : 0;
            }
        }
        assertTrue(atFirstLook > 100 && atFirstLook < 1100, "both ways taken: " + atFirstLook);
    }

    @Test
    void greedyTakesTheMostProbableAllowedToken() {
        // after the prompt " ca" is best, then "s" (" cas"), then "t"; no word begins "cas", so greedy writes " cat"
        float[][] t = new float[VOCAB][VOCAB];
        t[LANG][5] = 5;
        t[5][8] = 6;
        t[5][6] = 4;
        t[6][SonarTokenizer.EOS] = 6;
        t[8][SonarTokenizer.EOS] = 6;
        Bigram m = new Bigram(t);
        assertEquals(" cas", text(TokenSearch.run(m, 1, LANG, 8, new DecodingStrategy.Greedy()).get(0).ids()));
        TokenSearch.Result r = TokenSearch.run(m, 1, LANG, 8, new DecodingStrategy.Greedy(), new WordFilter(WORDS, TEXT))
                .get(0);
        assertArrayEquals(new int[] {5, 6, SonarTokenizer.EOS}, r.ids());
        assertEquals(m.logProb(r.ids()) / 4, r.score(), 1e-6);
    }

    @Test
    void maskKeepsAllowedTokensAndFallsBackToEndOfSentence() {
        WordFilter f = new WordFilter(WORDS, TEXT);
        float[] row = new float[VOCAB];
        Arrays.fill(row, -1f);
        Lexicon.State ca = WORDS.extend(Lexicon.start(), " ca");
        float[] m = f.mask(row, 0, VOCAB, ca);
        for (int v = 0; v < VOCAB; v++) {
            // after " ca": only "t" and "r" go on with a word; the others leave "ca" or begin "cas", "cah", "cae"
            assertEquals(v == 6 || v == 7 ? -1f : Float.NEGATIVE_INFINITY, m[v], "token " + v);
        }
        // a row where only "s" and </s> are possible: after " car" </s> ends a word; after " ca" neither is allowed
        // ("cas", "ca"), so </s> is the fallback that ends the search
        float[] onlyS = new float[VOCAB];
        Arrays.fill(onlyS, Float.NEGATIVE_INFINITY);
        onlyS[8] = 0;
        onlyS[SonarTokenizer.EOS] = -9;
        Lexicon.State car = WORDS.extend(Lexicon.start(), " car");
        assertEquals(List.of(new WordFilter.Allowed(SonarTokenizer.EOS, -9f, car)), f.best(step(onlyS, 3), 0, car, 3));
        float[] mm = f.mask(onlyS, 0, VOCAB, ca);
        assertEquals(-9f, mm[SonarTokenizer.EOS]);
        assertEquals(Float.NEGATIVE_INFINITY, mm[8]);
        assertEquals(List.of(new WordFilter.Allowed(SonarTokenizer.EOS, -9f, ca)), f.best(step(onlyS, 3), 0, ca, 3));
    }
}
