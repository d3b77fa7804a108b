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

    /**
     * @param in UTF-8 text (malformed bytes are allowed: each becomes U+FFFD)
     * @return the normalized UTF-8 text, empty if nothing but white space
     */
    byte[] normalize(byte[] in) {
        int pos = 0;
        int end = in.length;
        // One prefix: its replacement is rep[repFrom, repTo), it consumes `consumed` input bytes.
        byte[] rep;
        int repFrom;
        int repTo;
        int consumed;
        if (removeExtraWhitespaces) {
            while (pos < end) {
                long m = prefix(in, pos, end);
                rep = repBytes(in, m);
                repFrom = repFrom(m, pos);
                repTo = repFrom + repLength(m);
                if (repTo - repFrom != 1 || rep[repFrom] != ' ') {
                    break;
                }
                pos += consumedBytes(m);
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
            long m = prefix(in, pos, end);
            rep = repBytes(in, m);
            repFrom = repFrom(m, pos);
            repTo = repFrom + repLength(m);
            consumed = consumedBytes(m);
            if (prevSpace) {
                while (repFrom < repTo && rep[repFrom] == ' ') {
                    repFrom++;
                }
            }
            if (repFrom < repTo) {
                for (int i = repFrom; i < repTo; i++) {
                    if (escapeWhitespaces && rep[i] == ' ') {
                        out.space(true);
                    } else {
                        out.add(rep[i]);
                    }
                }
                prevSpace = rep[repTo - 1] == ' ';
            }
            pos += consumed;
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

    // A prefix is encoded in a long: kind in bits 62-63 (0 = copy input, 1 = charsmap rule,
    // 2 = replacement character), consumed input bytes in bits 32-61, charsmap offset in bits 0-31.
    private static final long COPY = 0, RULE = 1L << 62, BAD = 2L << 62;

    /** SentencePiece's {@code NormalizePrefix}. */
    private long prefix(byte[] in, int pos, int end) {
        if (userDefined != null) {
            int len = userDefined.longestPrefix(in, pos, end);
            if (len > 0) {
                return COPY | (long) len << 32;
            }
        }
        if (charsMap != null) {
            long m = charsMap.longestMatch(in, pos, end);
            if (m >= 0) {
                return RULE | m;
            }
        }
        int len = Utf8.validCharLength(in, pos, end);
        return len > 0 ? COPY | (long) len << 32 : BAD | 1L << 32;
    }

    private static int consumedBytes(long m) {
        return (int) (m >>> 32 & 0x3fffffff);
    }

    private byte[] repBytes(byte[] in, long m) {
        long kind = m & (3L << 62);
        return kind == COPY ? in : kind == RULE ? charsMap.replacement(m & 0xffffffffL) : REPLACEMENT_CHARACTER;
    }

    private static int repFrom(long m, int pos) {
        return (m & (3L << 62)) == COPY ? pos : 0;
    }

    private int repLength(long m) {
        long kind = m & (3L << 62);
        return kind == COPY ? consumedBytes(m) : kind == RULE ? charsMap.replacement(m & 0xffffffffL).length : 3;
    }
}
