package org.sonarllm.tokenize;

import java.nio.file.Path;
import org.sonarllm.ModelFormatException;

/**
 * SentencePiece's {@code precompiled_charsmap}: the normalization rules of a model ({@code nmt_nfkc}
 * for NLLB) compiled into a blob {@code <uint32 LE trie size><double-array trie><normalized strings>}.
 * The trie is a Darts-clone double array over the UTF-8 bytes of the source strings; each key's value
 * is the offset of its replacement, a NUL-terminated string in the third part. Immutable.
 *
 * <p>Darts-clone unit layout (32 bits): bit 8 = has a leaf child; bits 0-7 = label (bit 31 set on leaf
 * units, whose low 31 bits are the value); offset to the children = {@code (unit >>> 10) << ((unit &
 * 0x200) >>> 6)}. A lookup XORs the node position with the offset and the input byte and checks the
 * label of the unit it lands on.
 *
 * <pre>{@code
 * SpCharsMap m = SpCharsMap.parse(model.charsMap, path);
 * long hit = m.longestMatch(utf8, pos, utf8.length);   // -1 if no rule applies at pos
 * byte[] replacement = m.replacement(hit);  int consumed = SpCharsMap.length(hit);
 * }</pre>
 */
final class SpCharsMap {
    private final int[] units;
    private final byte[][] replacements;

    private SpCharsMap(int[] units, byte[][] replacements) {
        this.units = units;
        this.replacements = replacements;
    }

    /**
     * @param blob the {@code precompiled_charsmap} bytes, not empty
     * @param path the model file, named in error messages
     * @return the rules
     * @throws ModelFormatException if the blob is malformed
     */
    static SpCharsMap parse(byte[] blob, Path path) {
        if (blob.length <= 4) {
            throw corrupt(path, "a precompiled_charsmap longer than 4 bytes", blob.length + " bytes");
        }
        long trieSize = (blob[0] & 0xffL) | (blob[1] & 0xffL) << 8 | (blob[2] & 0xffL) << 16 | (blob[3] & 0xffL) << 24;
        if (trieSize > blob.length - 4 || trieSize % 4 != 0 || trieSize == 0) {
            throw corrupt(path, "a charsmap trie size that is a positive multiple of 4 within the "
                    + (blob.length - 4) + " bytes after the header", trieSize);
        }
        int[] units = new int[(int) (trieSize / 4)];
        for (int i = 0; i < units.length; i++) {
            int p = 4 + 4 * i;
            units[i] = (blob[p] & 0xff) | (blob[p + 1] & 0xff) << 8 | (blob[p + 2] & 0xff) << 16
                    | (blob[p + 3] & 0xff) << 24;
        }
        int base = 4 + (int) trieSize;
        int strings = blob.length - base;
        // Leaf units (bit 31 set) hold the offsets of the replacement strings: decode each one once.
        byte[][] replacements = new byte[strings][];
        for (int u : units) {
            if (u < 0) {
                int offset = u & 0x7fffffff;
                if (offset >= strings) {
                    throw corrupt(path, "charsmap string offsets below " + strings, offset);
                }
                if (replacements[offset] == null) {
                    int end = offset;
                    while (end < strings && blob[base + end] != 0) {
                        end++;
                    }
                    replacements[offset] = java.util.Arrays.copyOfRange(blob, base + offset, base + end);
                }
            }
        }
        return new SpCharsMap(units, replacements);
    }

    private static ModelFormatException corrupt(Path path, String expected, Object found) {
        return new ModelFormatException("corrupt SentencePiece model " + path + ": expected " + expected + ", found "
                + found);
    }

    /**
     * Darts-clone {@code commonPrefixSearch} keeping the longest key that is a prefix of {@code s[from,
     * to)}.
     *
     * @return {@code (length << 32) | offset} of the longest matching rule, or -1 if none
     */
    long longestMatch(byte[] s, int from, int to) {
        int[] a = units;
        int nodePos = offset(a[0]);
        long best = -1;
        for (int i = from; i < to; i++) {
            int key = s[i] & 0xff;
            nodePos ^= key;
            if (nodePos < 0 || nodePos >= a.length) {
                return best;
            }
            int unit = a[nodePos];
            if ((unit & 0x800000ff) != key) {
                return best;
            }
            nodePos ^= offset(unit);
            if ((unit >>> 8 & 1) == 1) {
                if (nodePos < 0 || nodePos >= a.length || a[nodePos] >= 0) {
                    return best; // a malformed trie: no leaf where one is announced
                }
                best = (long) (i + 1 - from) << 32 | (a[nodePos] & 0x7fffffff);
            }
        }
        return best;
    }

    /** @return the number of input bytes a {@link #longestMatch} result consumes */
    static int length(long match) {
        return (int) (match >>> 32);
    }

    /** @return the replacement bytes of a {@link #longestMatch} result (shared: do not modify) */
    byte[] replacement(long match) {
        return replacements[(int) match];
    }

    private static int offset(int unit) {
        return (unit >>> 10) << ((unit & 0x200) >>> 6);
    }
}
