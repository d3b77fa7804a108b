package org.sonarllm.segment;

import java.util.ArrayList;
import java.util.List;

/** Paragraph splitting and the conversion of cut positions into trimmed segments. */
final class Paragraphs {
    private Paragraphs() {}

    /**
     * Splits at paragraph breaks: a white-space run holding two or more line breaks ({@code \r\n}
     * counts once) or a U+2029 paragraph separator. Single line breaks (hard-wrapped text) are
     * ordinary spaces.
     *
     * @return [start, end) pairs, flattened; paragraphs may start or end with white space
     */
    static List<int[]> split(String text) {
        List<int[]> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        int n = text.length();
        while (i < n) {
            int cp = text.codePointAt(i);
            if (!Chars.isSpace(cp)) {
                i += Character.charCount(cp);
                continue;
            }
            int runStart = i;
            int breaks = 0;
            boolean separator = false;
            while (i < n && Chars.isSpace(text.codePointAt(i))) {
                char c = text.charAt(i);
                if (c == '\u2029') {
                    separator = true;
                } else if (Chars.isLineBreak(c) && !(c == '\n' && i > runStart && text.charAt(i - 1) == '\r')) {
                    breaks++;
                }
                i += Character.charCount(text.codePointAt(i));
            }
            if (separator || breaks >= 2) {
                out.add(new int[] {start, runStart});
                start = i;
            }
        }
        out.add(new int[] {start, n});
        return out;
    }

    /** Adds {@code text[from, to)} trimmed of white space to {@code out}, if anything remains. */
    static void emit(String text, int from, int to, List<Segment> out) {
        int s = from;
        while (s < to && Chars.isSpace(text.codePointAt(s))) {
            s += Character.charCount(text.codePointAt(s));
        }
        int e = to;
        while (e > s && Chars.isSpace(text.codePointBefore(e))) {
            e -= Character.charCount(text.codePointBefore(e));
        }
        if (e > s) {
            out.add(new Segment(text.substring(s, e), s, e));
        }
    }

    /** OpenNLP sees a paragraph with line breaks as spaces (same length, so offsets still hold). */
    static String flatten(String text, int from, int to) {
        char[] c = text.substring(from, to).toCharArray();
        for (int k = 0; k < c.length; k++) {
            if (Chars.isLineBreak(c[k]) || c[k] == '\t') {
                c[k] = ' ';
            }
        }
        return new String(c);
    }
}
