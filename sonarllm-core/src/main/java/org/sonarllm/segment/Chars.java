package org.sonarllm.segment;

/** Character classes the segmenters share. All methods take code points. */
final class Chars {
    private Chars() {}

    /** White space for trimming and paragraph detection: Java white space plus no-break spaces. */
    static boolean isSpace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp);
    }

    static boolean isLineBreak(int cp) {
        return cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || cp == 0x85 || cp == 0x2028;
    }

    /** Full stops, question and exclamation marks that need white space after them to end a sentence. */
    static boolean isSpacedTerminal(int cp) {
        return cp == '.' || cp == '!' || cp == '?' || cp == '\u2026' /* … */ || cp == '\u203C' /* ‼ */
                || cp == '\u2047' || cp == '\u2048' || cp == '\u2049' || cp == '\u037E' /* Greek question mark */;
    }

    /**
     * Sentence terminators of scripts written without spaces between sentences (CJK full-width
     * marks) or whose marks are unambiguous: they end a sentence even when text follows directly.
     */
    static boolean isStrongTerminal(int cp) {
        switch (cp) {
            case '\u3002': // 。 ideographic full stop
            case '\uFF01': // ！
            case '\uFF1F': // ？
            case '\uFF61': // ｡ halfwidth ideographic full stop
            case '\uFE12': // ︒
            case '\uFE56': // ﹖
            case '\uFE57': // ﹗
            case '\u0964': // । Devanagari danda
            case '\u0965': // ॥ double danda
            case '\u061F': // ؟ Arabic question mark
            case '\u06D4': // ۔ Urdu full stop
            case '\u1362': // ። Ethiopic full stop
            case '\u1367': // ፧ Ethiopic question mark
            case '\u1368': // ፨
            case '\u0589': // ։ Armenian full stop
            case '\u104B': // ။ Myanmar section
            case '\u17D4': // ។ Khmer khan
            case '\u17D5': // ៕
            case '\u0F0D': // ། Tibetan shad
            case '\u0F0E': // ༎
            case '\u166E': // ᙮ Canadian syllabics full stop
            case '\u0DF4': // ෴ Sinhala kunddaliya
                return true;
            default:
                return false;
        }
    }

    static boolean isTerminal(int cp) {
        return isSpacedTerminal(cp) || isStrongTerminal(cp);
    }

    /** Closing quotes and brackets that stay with the sentence they close. */
    static boolean isCloser(int cp) {
        switch (cp) {
            case '"': case '\'': case '\u201D': case '\u2019': case '\u00BB': case '\u203A':
            case ')': case ']': case '}': case '\u300D': case '\u300F': case '\u300B': case '\u3009':
            case '\u3011': case '\uFF09': case '\uFF3D': case '\uFF5D': case '\u3015':
            case '_': // plain-text italics, as in Project Gutenberg: "_you_."
                return true;
            default:
                return false;
        }
    }

    /** Opening quotes and brackets (and inverted marks) that may precede a sentence's first word. */
    static boolean isOpener(int cp) {
        switch (cp) {
            case '"': case '\'': case '\u201C': case '\u2018': case '\u00AB': case '\u2039': case '(':
            case '[': case '{': case '\u300C': case '\u300E': case '\u300A': case '\u3008': case '\u3010':
            case '\uFF08': case '\u00BF': case '\u00A1': case '_': case '\u201E': case '\u201A':
                return true;
            default:
                return false;
        }
    }

    static boolean isDash(int cp) {
        return cp == '-' || cp == '\u2013' || cp == '\u2014' || cp == '\u2015';
    }

    static boolean isUpper(int cp) {
        return Character.isUpperCase(cp) || Character.isTitleCase(cp);
    }

    static boolean isLower(int cp) {
        return Character.isLowerCase(cp);
    }
}
