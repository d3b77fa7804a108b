package org.sonarllm.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.sonarllm.lang.Language;

/**
 * Property: no non-white-space character is lost or duplicated, segments are trimmed, ordered,
 * non-overlapping exact substrings that never split a surrogate pair. Random text mixes sentence
 * punctuation, abbreviations, quotes, emoji, CJK, control characters and lone surrogates.
 */
class SegmenterPropertiesTest {
    private static final String[] ATOMS = {
        "a", "word", "Mr", "e.g", "I", "J", " ", "  ", "\n", "\n\n", "\r\n", "\t", "\u00A0", "\u2029", "\u3000",
        ".", ".", ".", "!", "?", "...", "\u2026", "\"", "'", "\u201C", "\u201D", "(", ")", "--", "\u2014", "_",
        "3", ".14", "p.m", "Jan", "St", "The", "He", "said", "cried", "\u3002", "\uFF01", "\u0964", "\u061F",
        "\uD83D\uDE00", "\uD83D\uDC4D\uD83C\uDFFD", "\u4E2D\u6587", "\u6771\u4EAC", "\u0000", "\u0007", "\u001B",
        "\uD800", "\uDC00", "\uDBFF", "\uFEFF", "\u200B", "\u0301", "\u0915\u093F",
    };

    private static Gen<String> atomText() {
        return lists().of(integers().between(0, ATOMS.length - 1)).ofSizeBetween(0, 60)
                .map(ix -> {
                    StringBuilder sb = new StringBuilder();
                    ix.forEach(i -> sb.append(ATOMS[i]));
                    return sb.toString();
                });
    }

    private static void checkInvariants(SentenceSegmenter seg, String text) {
        List<Segment> segs = seg.segment(text);
        boolean[] covered = new boolean[text.length()];
        int prevEnd = 0;
        for (Segment s : segs) {
            assertTrue(s.start() >= prevEnd, "ordered, non-overlapping");
            assertTrue(s.end() > s.start(), "non-empty");
            assertEquals(text.substring(s.start(), s.end()), s.text());
            assertFalse(Chars.isSpace(s.text().codePointAt(0)), "starts on non-space");
            assertFalse(Chars.isSpace(s.text().codePointBefore(s.text().length())), "ends on non-space");
            assertFalse(s.start() > 0 && Character.isHighSurrogate(text.charAt(s.start() - 1))
                    && Character.isLowSurrogate(text.charAt(s.start())), "no split surrogate pair at start");
            assertFalse(s.end() < text.length() && Character.isHighSurrogate(text.charAt(s.end() - 1))
                    && Character.isLowSurrogate(text.charAt(s.end())), "no split surrogate pair at end");
            for (int i = s.start(); i < s.end(); i++) {
                covered[i] = true;
            }
            prevEnd = s.end();
        }
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            if (!Chars.isSpace(cp)) {
                assertTrue(covered[i], "character " + Integer.toHexString(cp) + " at " + i + " lost");
            }
            i += Character.charCount(cp);
        }
        if (text.codePoints().allMatch(Chars::isSpace)) {
            assertTrue(segs.isEmpty(), "blank text gives no segments");
        }
    }

    @Test
    void englishDefaultKeepsEveryCharacterOnce() {
        SentenceSegmenter seg = SentenceSegmenters.forLanguage(Language.ENGLISH);
        qt().withExamples(1500).forAll(atomText()).checkAssert(t -> checkInvariants(seg, t));
        qt().withExamples(500).forAll(strings().allPossible().ofLengthBetween(0, 120))
                .checkAssert(t -> checkInvariants(seg, t));
    }

    @Test
    void ruleBasedKeepsEveryCharacterOnce() {
        for (String code : new String[] {"eng_Latn", "zho_Hans", "hin_Deva", "deu_Latn"}) {
            SentenceSegmenter seg = SentenceSegmenters.ruleBased(Language.of(code));
            qt().withExamples(600).forAll(atomText()).checkAssert(t -> checkInvariants(seg, t));
            qt().withExamples(200).forAll(strings().allPossible().ofLengthBetween(0, 120))
                    .checkAssert(t -> checkInvariants(seg, t));
        }
    }
}
