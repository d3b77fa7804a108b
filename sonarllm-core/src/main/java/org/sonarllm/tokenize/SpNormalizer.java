package org.sonarllm.tokenize;

import java.util.Arrays;

/**
 * SentencePiece's normalizer over UTF-8 bytes, with a model's {@code normalizer_spec}. Immutable.
 *
 * <p>The input is consumed one prefix at a time: a user-defined symbol of the model is copied as is;
 * otherwise the longest rule of the precompiled charsmap is replaced by its string; otherwise one
 * UTF-8 character is copied (a malformed byte becomes U+FFFD). With {@code remove_extra_whitespaces},
 * leading spaces are skipped, a space run collapses to one and trailing spaces are dropped; with
 * {@code add_dummy_prefix} a space is put before the text (after it with {@code
 * treat_whitespace_as_suffix}); with {@code escape_whitespaces} every space becomes U+2581 "▁".
 *
 * <pre>{@code
 * byte[] normalized = normalizer.normalize("  Hello   World ".getBytes(UTF_8));  // "▁Hello▁World"
 * }</pre>
 */
final class SpNormalizer {
    /** U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's space symbol, in UTF-8. */
    static final byte[] SPACE_SYMBOL = {(byte) 0xE2, (byte) 0x96, (byte) 0x81};
    private static final byte[] REPLACEMENT_CHARACTER = {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD};

    private final SpCharsMap charsMap;
    private final PieceTrie userDefined;
    private final boolean addDummyPrefix;
    private final boolean removeExtraWhitespaces;
    private final boolean escapeWhitespaces;
    private final boolean treatWhitespaceAsSuffix;

    /**
     * @param charsMap the compiled rules, or null for none (identity)
     * @param userDefined the model's user-defined symbols, or null if it has none
     */
    SpNormalizer(SpCharsMap charsMap, PieceTrie userDefined, boolean addDummyPrefix, boolean removeExtraWhitespaces,
            boolean escapeWhitespaces, boolean treatWhitespaceAsSuffix) {
        this.charsMap = charsMap;
        this.userDefined = userDefined;
        this.addDummyPrefix = addDummyPrefix;
        this.removeExtraWhitespaces = removeExtraWhitespaces;
        this.escapeWhitespaces = escapeWhitespaces;
        this.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix;
    }

    /** Growable output buffer. */
    private static final class Out {
        byte[] b;
        int n;

        Out(int capacity) {
            b = new byte[Math.max(16, capacity)];
        }

        void add(byte x) {
            if (n == b.length) {
                b = Arrays.copyOf(b, n * 2);
            }
            b[n++] = x;
        }

        void space(boolean escape) {
            if (escape) {
                for (byte x : SPACE_SYMBOL) {
                    add(x);
                }
            } else {
                add((byte) ' ');
            }
        }

        boolean endsWith(byte[] s) {
            if (n < s.length) {
                return false;
            }
            for (int i = 0; i < s.length; i++) {
                if (b[n - s.length + i] != s[i]) {
                    return false;
                }
            }
            return true;
        }
    }

    /** One prefix of the input: it consumes {@code consumed} input bytes and stands for {@code rep[from, to)}. */
    private static final class Prefix {
        byte[] rep;
        int from;
        int to;
        int consumed;

        boolean isOneSpace() {
            return to - from == 1 && rep[from] == ' ';
        }
    }

    /**
     * @param in UTF-8 text (malformed bytes are allowed: each becomes U+FFFD)
     * @return the normalized UTF-8 text, empty if nothing but white space
     */
    byte[] normalize(byte[] in) {
        int pos = 0;
        int end = in.length;
        Prefix p = new Prefix();
        if (removeExtraWhitespaces) {
            while (pos < end) {
                prefix(in, pos, end, p);
                if (!p.isOneSpace()) {
                    break;
                }
                pos += p.consumed;
            }
        }
        if (pos == end) {
            return new byte[0];
        }
        Out out = new Out((end - pos) * 3 / 2 + 8);
        if (!treatWhitespaceAsSuffix && addDummyPrefix) {
            out.space(escapeWhitespaces);
        }
        boolean prevSpace = removeExtraWhitespaces;
        while (pos < end) {
            prefix(in, pos, end, p);
            int from = p.from;
            if (prevSpace) {
                while (from < p.to && p.rep[from] == ' ') {
                    from++;
                }
            }
            if (from < p.to) {
                for (int i = from; i < p.to; i++) {
                    if (escapeWhitespaces && p.rep[i] == ' ') {
                        out.space(true);
                    } else {
                        out.add(p.rep[i]);
                    }
                }
                prevSpace = p.rep[p.to - 1] == ' ';
            }
            pos += p.consumed;
            if (!removeExtraWhitespaces) {
                prevSpace = false;
            }
        }
        if (removeExtraWhitespaces) {
            byte[] space = escapeWhitespaces ? SPACE_SYMBOL : new byte[] {' '};
            while (out.endsWith(space)) {
                out.n -= space.length;
            }
        }
        if (treatWhitespaceAsSuffix && addDummyPrefix) {
            out.space(escapeWhitespaces);
        }
        return Arrays.copyOf(out.b, out.n);
    }

    /** SentencePiece's {@code NormalizePrefix}: fills {@code p} for the input at {@code pos}. */
    private void prefix(byte[] in, int pos, int end, Prefix p) {
        int len = userDefined == null ? 0 : userDefined.longestPrefix(in, pos, end);
        if (len > 0) {
            copy(in, pos, len, p);
            return;
        }
        long m = charsMap == null ? -1 : charsMap.longestMatch(in, pos, end);
        if (m >= 0) {
            p.rep = charsMap.replacement(m);
            p.from = 0;
            p.to = p.rep.length;
            p.consumed = SpCharsMap.length(m);
            return;
        }
        len = Utf8.validCharLength(in, pos, end);
        if (len > 0) {
            copy(in, pos, len, p);
        } else {
            p.rep = REPLACEMENT_CHARACTER;
            p.from = 0;
            p.to = REPLACEMENT_CHARACTER.length;
            p.consumed = 1;
        }
    }

    private static void copy(byte[] in, int pos, int len, Prefix p) {
        p.rep = in;
        p.from = pos;
        p.to = pos + len;
        p.consumed = len;
    }
}
