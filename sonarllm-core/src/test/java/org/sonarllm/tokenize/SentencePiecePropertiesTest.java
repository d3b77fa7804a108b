package org.sonarllm.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.sonarllm.InvalidInputException;
import org.sonarllm.lang.Language;
import org.sonarllm.testing.TinyA;

/**
 * Properties of the pure-Java SentencePiece over random text (atoms that stress normalization,
 * white space, user-defined and control symbols, unknown characters and lone surrogates, and arbitrary
 * code points), for every golden model:
 * <ul>
 *   <li>no exception; ids in range; one piece per id;
 *   <li>the pieces partition the normalized text (byte pieces spell its bytes, a merged {@code <unk>}
 *       run is its characters);
 *   <li>spm_decode's rule: without {@code <unk>}, decode(encode(x)) is the normalized text with "▁" as
 *       spaces and the leading "▁" dropped;
 *   <li>the tokenizer's id formats keep their layout and bounds.
 * </ul>
 */
class SentencePiecePropertiesTest {
    private static final String[] ATOMS = {
        "a", "word", "The", "Emma", " ", "  ", "\t", "\r", "\u00A0", "\u3000", "\u2009", "\u200B", "\uFEFF",
        ".", ",", "!", "?", "\"", "'", "1811", "3", "\u2581", "\u2581\u2581", "<sep>", "@@", "Mr.", "\u2665",
        "<ctl>", "<s>", "<unk>", "<0x41>", "\uFB01", "\uFF21\uFF22", "\uFF11", "\u2460", "\u00BD", "\u2122",
        "e\u0301", "\u0301", "\u1100\u1161", "\uFF76\uFF9E", "\u212B", "\u00DF", "\u0130", "\u03A3",
        "\uD83D\uDE00", "\uD83D\uDC4D\uD83C\uDFFD", "\u200D", "\uFE0F", "\u4E2D\u6587", "\u65E5\u672C",
        "\uD55C", "\u0645\u0631", "\u0928\u092E", "\u0E2A", "\u0000", "\u0001", "\u001F", "\u007F", "\u0085",
        "\uD800", "\uDC00", "\uDBFF", "\uFFFD", "\uFFFF", "\uE000", "\uD835\uDC01", "\u2028",
    };

    private static Gen<String> atomText() {
        return lists().of(integers().between(0, ATOMS.length - 1)).ofSizeBetween(0, 40).map(ix -> {
            StringBuilder sb = new StringBuilder();
            ix.forEach(i -> sb.append(ATOMS[i]));
            return sb.toString();
        });
    }

    private static Gen<String> anyText() {
        return strings().allPossible().ofLengthBetween(0, 60);
    }

    /** Encodes, and checks ids, pieces and the partition of the normalized text. */
    private static void checkPartition(SentencePiece sp, String text) {
        SpModelFile m = sp.model();
        int[] ids = sp.encode(text);
        List<String> pieces = sp.encodeAsPieces(text);
        assertEquals(ids.length, pieces.size(), "one piece per id");
        ByteArrayOutputStream spelled = new ByteArrayOutputStream();
        for (int k = 0; k < ids.length; k++) {
            assertTrue(ids[k] >= 0 && ids[k] < m.size(), "id in range");
            int b = m.type(ids[k]) == SpModelFile.BYTE ? SpModelFile.byteValue(m.pieces[ids[k]]) : -1;
            byte[] bytes = b >= 0 ? new byte[] {(byte) b} : pieces.get(k).getBytes(StandardCharsets.UTF_8);
            spelled.writeBytes(bytes);
        }
        assertEquals(sp.normalize(text), spelled.toString(StandardCharsets.UTF_8), "pieces spell the normalized text");
    }

    /** spm_decode's rule where no {@code <unk>} hides characters. */
    private static void checkRoundTrip(SentencePiece sp, String text) {
        SpModelFile m = sp.model();
        int[] ids = sp.encode(text);
        String normalized = sp.normalize(text);
        boolean hasUnk = Arrays.stream(ids).anyMatch(id -> m.type(id) == SpModelFile.UNKNOWN);
        if (hasUnk || normalized.startsWith("\u2581\u2581")) {
            return;
        }
        String want = (m.addDummyPrefix || m.removeExtraWhitespaces) && normalized.startsWith("\u2581")
                ? normalized.substring(1) : normalized;
        assertEquals(want.replace('\u2581', ' '), sp.decode(ids));
    }

    @Test
    void everyModelPartitionsAndRoundTrips() {
        for (SpmGoldens.Model model : SpmGoldens.models()) {
            SentencePiece sp = model.load();
            qt().withExamples(600).forAll(atomText()).checkAssert(t -> {
                checkPartition(sp, t);
                checkRoundTrip(sp, t);
            });
            qt().withExamples(200).forAll(anyText()).checkAssert(t -> {
                checkPartition(sp, t);
                checkRoundTrip(sp, t);
            });
        }
    }

    private static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    @Test
    void tokenizerFormatsKeepTheirLayout() {
        try (SonarTokenizer tok = SonarTokenizer.load(TinyA.dir().resolve("tokenizer"), 24)) {
            int lang = tok.languageId(Language.ENGLISH);
            qt().withExamples(1500).forAll(atomText()).checkAssert(t -> {
                if (t.isBlank()) {
                    assertThrows(InvalidInputException.class, () -> tok.encoderIds(t, Language.ENGLISH));
                    return;
                }
                int[] enc = tok.encoderIds(t, Language.ENGLISH);
                int[] in = tok.decoderInput(t, Language.ENGLISH);
                assertTrue(enc.length >= 2 && enc.length <= tok.maxLength());
                assertEquals(lang, enc[0]);
                assertEquals(SonarTokenizer.EOS, enc[enc.length - 1]);
                assertEquals(enc.length, in.length);
                assertArrayEquals(Arrays.copyOfRange(enc, 1, enc.length - 1), Arrays.copyOfRange(in, 2, in.length));
                for (int id : enc) {
                    assertTrue(id >= 0 && id < tok.vocabSize());
                }
                String text = tok.decode(enc);
                assertEquals(text, tok.decode(in));
                assertTrue(wellFormed(text), "no lone surrogate comes out");
            });
        }
    }
}
