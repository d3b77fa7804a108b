package org.sonarllm.onnx.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sonarllm.decode.Lexicon;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * What a search may write under a {@link Lexicon}: follows each hypothesis's word in progress through the text of
 * its pieces, and picks the most probable tokens that keep every word in the lexicon ({@link #best}: among a row's
 * best candidates first, the whole row when too few of them are allowed). {@code
 * <unk>} and ids that are no text (specials, languages, byte pieces) are never allowed; {@code </s>} is allowed
 * after a complete word. A row that allows nothing (a word in progress no piece can go on with) gets {@code
 * </s>}, so that every search ends. Immutable, thread-safe.
 */
final class WordFilter {
    /** A token a hypothesis may take, its log-probability and the word state after it. */
    record Allowed(int token, float logProb, Lexicon.State state) {}

    /** Tokens {@link #best} looks at first, at least. */
    static final int FIRST_LOOK = 64;

    private final Lexicon lexicon;
    private final String[] text;

    /**
     * @param lexicon the words @param text per token id, the text it writes, or null for none
     */
    WordFilter(Lexicon lexicon, String[] text) {
        this.lexicon = lexicon;
        this.text = text;
    }

    /**
     * @param tokenizer the decoder's tokenizer @param vocab the decoder's output size
     * @return per id, the text it writes ({@link SonarTokenizer#pieceText}), null for none
     */
    static String[] texts(SonarTokenizer tokenizer, int vocab) {
        String[] t = new String[vocab];
        for (int id = 0; id < vocab; id++) {
            t[id] = tokenizer.pieceText(id);
        }
        return t;
    }

    /** @return the lexicon */
    Lexicon lexicon() {
        return lexicon;
    }

    /**
     * @param state a hypothesis's word state @param token the next token
     * @return the state after it, or null if the token is not allowed there
     */
    Lexicon.State after(Lexicon.State state, int token) {
        if (token == SonarTokenizer.EOS) {
            return lexicon.canEnd(state) ? state : null;
        }
        if (token < 0 || token >= text.length || text[token] == null || token == SonarTokenizer.UNK) {
            return null;
        }
        return lexicon.extend(state, text[token]);
    }

    /**
     * @param n allowed tokens needed per row
     * @return how many of a row's most probable tokens a search asks the decoder for besides the whole row: at least
     *     {@value #FIRST_LOOK} and 4n, at most the vocabulary
     */
    int look(int n) {
        return Math.min(text.length, Math.max(FIRST_LOOK, 4 * n));
    }

    /**
     * The {@code n} most probable allowed tokens of one row, best first (lower id first among equal values; NaN
     * never taken), or {@code </s>} alone if none is allowed. First among the row's candidates ({@link #look} of
     * them, as the decoder ranked them): when n of them are allowed they are the n best allowed of the row (any
     * other token has a lower value, or an equal one and a higher id); else from the whole row.
     *
     * @param step a decoder step with candidates and whole rows @param row the row
     * @param state the row's word state @param n how many
     * @return the tokens
     */
    List<Allowed> best(StepResult step, int row, Lexicon.State state, int n) {
        List<Allowed> first = new ArrayList<>(n);
        for (int j = 0; j < step.k && first.size() < n; j++) {
            float x = step.logProbs[row * step.k + j];
            if (Float.isNaN(x) || x == Float.NEGATIVE_INFINITY) {
                break;
            }
            int token = step.ids[row * step.k + j];
            Lexicon.State s = after(state, token);
            if (s != null) {
                first.add(new Allowed(token, x, s));
            }
        }
        return first.size() == n ? first : scan(step.full, row * step.vocab, step.vocab, state, n);
    }

    /** {@link #best} by one pass over the whole row. */
    List<Allowed> scan(float[] lp, int off, int vocab, Lexicon.State state, int n) {
        int[] ids = new int[n];
        float[] vals = new float[n];
        Lexicon.State[] states = new Lexicon.State[n];
        int filled = 0;
        for (int v = 0; v < vocab; v++) {
            float x = lp[off + v];
            if (Float.isNaN(x) || x == Float.NEGATIVE_INFINITY || (filled == n && !(x > vals[n - 1]))) {
                continue;
            }
            Lexicon.State s = after(state, v);
            if (s == null) {
                continue;
            }
            int pos = filled == n ? n - 1 : filled++;
            while (pos > 0 && x > vals[pos - 1]) {
                ids[pos] = ids[pos - 1];
                vals[pos] = vals[pos - 1];
                states[pos] = states[pos - 1];
                pos--;
            }
            ids[pos] = v;
            vals[pos] = x;
            states[pos] = s;
        }
        List<Allowed> out = new ArrayList<>(Math.max(1, filled));
        for (int i = 0; i < filled; i++) {
            out.add(new Allowed(ids[i], vals[i], states[i]));
        }
        if (out.isEmpty()) {
            out.add(new Allowed(SonarTokenizer.EOS, lp[off + SonarTokenizer.EOS], state));
        }
        return out;
    }

    /**
     * @param lp log-probability rows @param off the row's start @param vocab row length @param state the row's word state
     * @return a copy of the row with the tokens not allowed at {@code -inf} ({@code </s>} kept if none is allowed)
     */
    float[] mask(float[] lp, int off, int vocab, Lexicon.State state) {
        float[] out = new float[vocab];
        Arrays.fill(out, Float.NEGATIVE_INFINITY);
        boolean any = false;
        for (int v = 0; v < vocab; v++) {
            if (lp[off + v] != Float.NEGATIVE_INFINITY && after(state, v) != null) {
                out[v] = lp[off + v];
                any = true;
            }
        }
        if (!any) {
            out[SonarTokenizer.EOS] = lp[off + SonarTokenizer.EOS];
        }
        return out;
    }
}
