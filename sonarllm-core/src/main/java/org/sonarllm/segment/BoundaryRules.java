package org.sonarllm.segment;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds candidate sentence ends in a paragraph and judges each one. A candidate is a run of
 * terminal marks ({@code . ! ? …} and script-specific full stops) with the closing quotes,
 * brackets and dash run that belong to it. The judgement uses the surrounding words: abbreviations,
 * initials, decimals (no space after the period), ellipses, quotation followed by a dialogue tag,
 * and the case of the next word. Cases the rules cannot settle are returned as a lean, which a
 * statistical model may overrule.
 */
final class BoundaryRules {
    /** How sure the rules are. */
    enum Decision {
        YES, NO, LEAN_YES, LEAN_NO
    }

    /**
     * @param coreEnd end of the terminal marks
     * @param pos where the sentence ends if this is a boundary (after closers and dashes)
     * @param decision the rules' verdict
     */
    record Candidate(int coreEnd, int pos, Decision decision) {}

    private final Abbreviations abbr;

    BoundaryRules(Abbreviations abbr) {
        this.abbr = abbr;
    }

    /** @return the candidates of {@code text[from, to)} in text order */
    List<Candidate> candidates(String text, int from, int to) {
        List<Candidate> out = new ArrayList<>();
        int i = from;
        while (i < to) {
            int cp = text.codePointAt(i);
            if (!Chars.isTerminal(cp)) {
                i += Character.charCount(cp);
                continue;
            }
            int cs = i;
            int ce = skip(text, i, to, true);
            int p = ce;
            // closers, and terminals after closers ("(see below)." / "Yes'.")
            while (p < to) {
                int c = text.codePointAt(p);
                if (Chars.isCloser(c)) {
                    p += Character.charCount(c);
                } else if (Chars.isTerminal(c)) {
                    ce = skip(text, p, to, true);
                    p = ce;
                } else {
                    break;
                }
            }
            boolean dashFollow = false;
            int q = p;
            while (q < to && Chars.isDash(text.charAt(q))) {
                q++;
            }
            if (q - p >= 2 || (q - p == 1 && text.charAt(p) != '-')) {
                dashFollow = q < to && !Chars.isSpace(text.codePointAt(q));
                p = q;
            }
            out.add(new Candidate(ce, p, decide(text, from, to, cs, ce, p, dashFollow)));
            i = p;
        }
        return out;
    }

    private static int skip(String text, int i, int to, boolean terminals) {
        while (i < to) {
            int c = text.codePointAt(i);
            if (Chars.isTerminal(c) != terminals) {
                break;
            }
            i += Character.charCount(c);
        }
        return i;
    }

    private Decision decide(String text, int from, int to, int cs, int ce, int p, boolean dashFollow) {
        boolean strong = false;
        boolean exclaimOrAsk = false;
        int dots = 0;
        boolean ellipsisChar = false;
        for (int k = cs; k < ce; ) {
            int c = text.codePointAt(k);
            strong |= Chars.isStrongTerminal(c);
            if (c == '.') {
                dots++;
            } else if (c == '\u2026') {
                ellipsisChar = true;
            } else if (!Chars.isStrongTerminal(c)) {
                exclaimOrAsk = true;
            }
            k += Character.charCount(c);
        }
        int next = p;
        while (next < to && Chars.isSpace(text.codePointAt(next))) {
            next += Character.charCount(text.codePointAt(next));
        }
        if (next >= to) {
            return Decision.YES;
        }
        boolean spaced = next > p;
        if (!spaced && !dashFollow && !strong) {
            return Decision.NO; // 3.14, U.S.A, www.example.org, "Stop!"he
        }
        int n = next;
        while (n < to && (Chars.isOpener(text.codePointAt(n)) || Chars.isDash(text.codePointAt(n)))) {
            n += Character.charCount(text.codePointAt(n));
        }
        if (n >= to) {
            return Decision.YES;
        }
        if (strong) {
            return Decision.YES;
        }
        int f = text.codePointAt(n);
        if (Chars.isLower(f)) {
            return Decision.NO; // "Oh! no", "Stop!" cried he, 5 p.m. on, Esq. of, ... and then
        }
        boolean upper = Chars.isUpper(f);
        boolean digit = Character.isDigit(f);
        boolean quoted = hasQuote(text, ce, p);
        if (exclaimOrAsk) {
            return upper && quoted && speechTagFollows(text, n, to) ? Decision.NO : Decision.YES;
        }
        if (ellipsisChar || dots >= 2) {
            return Decision.LEAN_YES;
        }
        String w = wordBefore(text, from, cs);
        if (w.isEmpty()) {
            return Decision.YES;
        }
        if (abbr.contains(abbr.neverFinal, w)) {
            return Decision.NO;
        }
        if (digit && abbr.contains(abbr.beforeNumber, w)) {
            return Decision.NO;
        }
        if (upper && isInitial(w)) {
            return Decision.NO;
        }
        if (upper && isDottedInitials(w)) {
            return Decision.LEAN_NO;
        }
        if (abbr.contains(abbr.maybeFinal, w)) {
            return digit ? Decision.LEAN_NO : Decision.LEAN_YES;
        }
        if (upper && looksAbbreviated(w)) {
            return Decision.LEAN_NO;
        }
        if (digit) {
            return Decision.LEAN_YES;
        }
        if (upper && quoted && speechTagFollows(text, n, to)) {
            return Decision.NO;
        }
        return Decision.YES;
    }

    private static boolean hasQuote(String text, int from, int to) {
        for (int k = from; k < to; k++) {
            char c = text.charAt(k);
            if (c == '"' || c == '\'' || c == '\u201D' || c == '\u2019' || c == '\u00BB' || c == '\u300D') {
                return true;
            }
        }
        return false;
    }

    /** The word before a period: letters and digits with inner periods ("e.g", "U.S", "Mr", "3rd"). */
    private static String wordBefore(String text, int from, int end) {
        int s = end;
        while (s > from) {
            int c = text.codePointBefore(s);
            if (Character.isLetterOrDigit(c) || (c == '.' && s - 1 > from
                    && Character.isLetterOrDigit(text.codePointBefore(s - 1)))) {
                s -= Character.charCount(c);
            } else {
                break;
            }
        }
        return text.substring(s, end);
    }

    private static boolean isInitial(String w) {
        return w.codePointCount(0, w.length()) == 1 && Chars.isUpper(w.codePointAt(0));
    }

    /** "J.R.R", "U.S": single letters joined by periods. */
    private static boolean isDottedInitials(String w) {
        if (w.length() < 3) {
            return false;
        }
        for (int k = 0; k < w.length(); k++) {
            char c = w.charAt(k);
            if (k % 2 == 0 ? !Character.isLetter(c) : c != '.') {
                return false;
            }
        }
        return w.length() % 2 == 1;
    }

    /** A short capitalised word without vowels ("Pvt", "Gdns", "Bldg"): probably an abbreviation. */
    private static boolean looksAbbreviated(String w) {
        if (w.length() > 4 || !Character.isUpperCase(w.charAt(0)) || w.length() < 2) {
            return false;
        }
        for (int k = 0; k < w.length(); k++) {
            char c = Character.toLowerCase(w.charAt(k));
            if (!Character.isLetter(c) || "aeiouy".indexOf(c) >= 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * After a closing quote: up to four capitalised words (a name, a title with its period, a
     * pronoun) and then a speech verb that ends the clause ("Elizabeth cried.", "Mr. Darcy replied,",
     * "she said hastily;"). "He said nothing." is not a dialogue tag.
     */
    private boolean speechTagFollows(String text, int n, int to) {
        if (abbr.speechVerbs.isEmpty()) {
            return false;
        }
        int i = n;
        for (int words = 0; words <= 4 && i < to; words++) {
            int e = i;
            while (e < to && (Character.isLetter(text.codePointAt(e)) || text.charAt(e) == '\'')) {
                e += Character.charCount(text.codePointAt(e));
            }
            if (e == i) {
                return false;
            }
            String word = text.substring(i, e);
            if (words > 0 && abbr.speechVerbs.contains(word)) {
                return clauseEnds(text, e, to);
            }
            if (!Chars.isUpper(word.codePointAt(0))) {
                return false;
            }
            if (e < to && text.charAt(e) == '.' && abbr.contains(abbr.neverFinal, word)) {
                e++;
            }
            i = e;
            while (i < to && Chars.isSpace(text.codePointAt(i))) {
                i++;
            }
        }
        return false;
    }

    /** After a speech verb: punctuation or the end, possibly after an -ly adverb or "he"/"she". */
    private static boolean clauseEnds(String text, int i, int to) {
        for (int hop = 0; hop < 2; hop++) {
            while (i < to && Chars.isSpace(text.codePointAt(i))) {
                i++;
            }
            if (i >= to) {
                return true;
            }
            int c = text.codePointAt(i);
            if (",;:.!?".indexOf(c) >= 0 || Chars.isDash(c)) {
                return true;
            }
            int e = i;
            while (e < to && Character.isLetter(text.codePointAt(e))) {
                e += Character.charCount(text.codePointAt(e));
            }
            String word = text.substring(i, e);
            if (!(word.endsWith("ly") && word.length() > 3)) {
                return false;
            }
            i = e;
        }
        return false;
    }
}
