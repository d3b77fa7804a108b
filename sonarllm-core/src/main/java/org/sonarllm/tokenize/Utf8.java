package org.sonarllm.tokenize;

import java.util.Arrays;

/**
 * UTF-8 the way SentencePiece reads and writes it: its character length table, its strict decoder
 * (shortest form only, no surrogates, at most U+10FFFF; one malformed byte at a time becomes U+FFFD),
 * and an encoder that turns unpaired UTF-16 surrogates into U+FFFD.
 *
 * <pre>{@code
 * byte[] b = Utf8.encode("x\uD800y");          // 78 EF BF BD 79
 * int n = Utf8.validCharLength(b, 1, b.length); // 3
 * }</pre>
 */
final class Utf8 {
    private Utf8() {}

    /** SentencePiece's {@code OneCharLen}: the length announced by a lead byte (1 for a stray one). */
    static int oneCharLen(byte lead) {
        int hi = (lead & 0xff) >>> 4;
        return hi < 12 ? 1 : hi < 14 ? 2 : hi == 14 ? 3 : 4;
    }

    /**
     * @return the length of the well-formed character at {@code s[pos]} (1 to 4), or 0 if the bytes
     *     there are malformed (SentencePiece's {@code IsValidDecodeUTF8})
     */
    static int validCharLength(byte[] s, int pos, int end) {
        int b0 = s[pos] & 0xff;
        int len = end - pos;
        if (b0 < 0x80) {
            return 1;
        }
        if (len >= 2 && (b0 & 0xE0) == 0xC0) {
            int cp = (b0 & 0x1F) << 6 | (s[pos + 1] & 0x3F);
            return trail(s[pos + 1]) && cp >= 0x80 ? 2 : 0;
        }
        if (len >= 3 && (b0 & 0xF0) == 0xE0) {
            int cp = (b0 & 0x0F) << 12 | (s[pos + 1] & 0x3F) << 6 | (s[pos + 2] & 0x3F);
            return trail(s[pos + 1]) && trail(s[pos + 2]) && cp >= 0x800 && valid(cp) ? 3 : 0;
        }
        if (len >= 4 && (b0 & 0xF8) == 0xF0) {
            int cp = (b0 & 0x07) << 18 | (s[pos + 1] & 0x3F) << 12 | (s[pos + 2] & 0x3F) << 6 | (s[pos + 3] & 0x3F);
            return trail(s[pos + 1]) && trail(s[pos + 2]) && trail(s[pos + 3]) && cp >= 0x10000 && valid(cp) ? 4 : 0;
        }
        return 0;
    }

    private static boolean trail(byte b) {
        return (b & 0xC0) == 0x80;
    }

    private static boolean valid(int cp) {
        return cp < 0xD800 || cp >= 0xE000 && cp <= 0x10FFFF;
    }

    /** @return the UTF-8 bytes of {@code s}, with every unpaired surrogate encoded as U+FFFD */
    static byte[] encode(String s) {
        int n = s.length();
        byte[] out = new byte[n * 3];
        int o = 0;
        for (int i = 0; i < n; i++) {
            int c = s.charAt(i);
            if (c < 0x80) {
                out[o++] = (byte) c;
            } else if (c < 0x800) {
                out[o++] = (byte) (0xC0 | c >> 6);
                out[o++] = (byte) (0x80 | c & 0x3F);
            } else if (Character.isHighSurrogate((char) c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint((char) c, s.charAt(++i));
                out[o++] = (byte) (0xF0 | cp >> 18);
                out[o++] = (byte) (0x80 | cp >> 12 & 0x3F);
                out[o++] = (byte) (0x80 | cp >> 6 & 0x3F);
                out[o++] = (byte) (0x80 | cp & 0x3F);
            } else {
                if (Character.isSurrogate((char) c)) {
                    c = 0xFFFD;
                }
                out[o++] = (byte) (0xE0 | c >> 12);
                out[o++] = (byte) (0x80 | c >> 6 & 0x3F);
                out[o++] = (byte) (0x80 | c & 0x3F);
            }
        }
        return o == out.length ? out : Arrays.copyOf(out, o);
    }

    /**
     * Appends {@code s[from, to)} decoded, each malformed byte as one U+FFFD (SentencePiece's rule for
     * byte pieces).
     */
    static void decode(byte[] s, int from, int to, StringBuilder out) {
        int i = from;
        while (i < to) {
            int len = validCharLength(s, i, to);
            if (len == 0) {
                out.append('\uFFFD');
                i++;
            } else {
                out.append(new String(s, i, len, java.nio.charset.StandardCharsets.UTF_8));
                i += len;
            }
        }
    }
}
