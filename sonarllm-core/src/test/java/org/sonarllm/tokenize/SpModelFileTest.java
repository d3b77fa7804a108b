package org.sonarllm.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sonarllm.ModelFormatException;

/**
 * The model reader on hand-built {@code ModelProto}s: proto defaults, the checks SentencePiece makes on
 * load, unsupported features rejected with ModelFormatException, and hand-computed segmentations of a
 * four-letter vocabulary (BPE merges by score then leftmost; UNIGRAM by the highest sum of scores).
 */
class SpModelFileTest {
    private static final Path PATH = Path.of("test.model");

    /** A protobuf writer for the few fields these tests set. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long v) {
            key(field, 0);
            raw(v);
            return this;
        }

        Proto bytes(int field, byte[] b) {
            key(field, 2);
            raw(b.length);
            out.writeBytes(b);
            return this;
        }

        Proto string(int field, String s) {
            return bytes(field, s.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto m) {
            return bytes(field, m.out.toByteArray());
        }

        Proto fixed32(int field, float f) {
            key(field, 5);
            int v = Float.floatToIntBits(f);
            for (int i = 0; i < 4; i++) {
                out.write(v >>> (8 * i) & 0xff);
            }
            return this;
        }

        private void key(int field, int wire) {
            raw((long) field << 3 | wire);
        }

        private void raw(long v) {
            while ((v & ~0x7fL) != 0) {
                out.write((int) (v & 0x7f) | 0x80);
                v >>>= 7;
            }
            out.write((int) v);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    private static Proto piece(String p, float score, int type) {
        Proto m = new Proto().string(1, p).fixed32(2, score);
        return type == SpModelFile.NORMAL ? m : m.varint(3, type);
    }

    /** {@code <unk> <s> </s>} then the given NORMAL pieces with their scores; no normalization rules. */
    private static Proto model(int modelType, Object... piecesAndScores) {
        Proto m = new Proto().message(1, piece("<unk>", 0, SpModelFile.UNKNOWN))
                .message(1, piece("<s>", 0, SpModelFile.CONTROL)).message(1, piece("</s>", 0, SpModelFile.CONTROL));
        for (int i = 0; i < piecesAndScores.length; i += 2) {
            m.message(1, piece((String) piecesAndScores[i], ((Number) piecesAndScores[i + 1]).floatValue(),
                    SpModelFile.NORMAL));
        }
        return m.message(2, new Proto().varint(3, modelType));
    }

    private static void assertRejected(byte[] bytes, String... fragments) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SentencePiece.load(bytes, PATH));
        assertTrue(e.getMessage().contains(PATH.toString()), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "expected \"" + f + "\" in: " + e.getMessage());
        }
    }

    @Test
    void absentFieldsTakeTheProtoDefaults() {
        SpModelFile m = SpModelFile.parse(new Proto().message(1, piece("<unk>", 0, SpModelFile.UNKNOWN))
                .message(1, new Proto().string(1, "a")).bytes(), PATH);
        assertEquals(SpModelFile.UNIGRAM, m.modelType);
        assertEquals(SpModelFile.NORMAL, m.type(1));
        assertEquals(0f, m.scores[1]);
        assertTrue(m.addDummyPrefix && m.removeExtraWhitespaces && m.escapeWhitespaces);
        assertFalse(m.byteFallback || m.treatWhitespaceAsSuffix);
        assertEquals(" \u2047 ", m.unkSurface);
        assertEquals(0, m.charsMap.length);
    }

    @Test
    void unsupportedOrInconsistentModelsAreRejected() {
        assertRejected(model(SpModelFile.WORD, "a", -1).bytes(), "expected model_type UNIGRAM or BPE, found WORD");
        assertRejected(model(SpModelFile.CHAR, "a", -1).bytes(), "found CHAR");
        assertRejected(model(SpModelFile.BPE, "a", -1, "a", -2).bytes(), "expected each piece once", "\"a\" at ids 3 and 4");
        assertRejected(model(SpModelFile.BPE, "", -1).bytes(), "expected a non-empty string for piece 3");
        assertRejected(model(SpModelFile.BPE).message(1, piece("<0x41>", 0, SpModelFile.BYTE)).bytes(),
                "expected no byte piece since byte_fallback is false", "<0x41>");
        assertRejected(model(SpModelFile.BPE).message(2, new Proto().varint(35, 1))
                .message(1, piece("<0x41>", 0, SpModelFile.BYTE)).bytes(),
                "expected 256 byte pieces since byte_fallback is true", "none for <0x00>");
        assertRejected(model(SpModelFile.BPE, "a", -1).message(5, new Proto().bytes(2, new byte[] {1, 2, 3, 4, 5}))
                .bytes(), "expected no denormalizer rules");
        assertRejected(new Proto().message(1, piece("a", 0, SpModelFile.NORMAL)).bytes(),
                "expected exactly one <unk> piece, found 0");
        assertRejected(model(SpModelFile.BPE, "a", -1).message(3, new Proto().bytes(2, new byte[] {(byte) 200, 0, 0,
                0, 1, 2})).bytes(), "expected a charsmap trie size");
        assertRejected(model(SpModelFile.BPE).message(1, new Proto().string(1, "x").varint(3, 9)).bytes(),
                "expected piece type 1..6, found 9");
    }

    /** ids of a text, without the dummy prefix (the pieces here have no "▁"). */
    private static int[] ids(Proto model, String text) {
        model.message(3, new Proto().varint(3, 0));
        return SentencePiece.load(model.bytes(), PATH).encode(text);
    }

    @Test
    void bpeMergesTheBestScoringPairFirstAndTheLeftmostOnATie() {
        // pieces: a=3 b=4 c=5 ab=6 bc=7 abc=8. "abc": ab (-1) beats bc (-2), then ab+c = abc.
        assertArrayEquals(new int[] {8}, ids(model(SpModelFile.BPE, "a", -5, "b", -5, "c", -5, "ab", -1, "bc", -2,
                "abc", -3), "abc"));
        // bc (-1) beats ab (-2): a + bc, and "abc" is never formed since a+bc is not a pair of it
        assertArrayEquals(new int[] {3, 7}, ids(model(SpModelFile.BPE, "a", -5, "b", -5, "c", -5, "ab", -2, "bc", -1),
                "abc"));
        // a tie between ab and bc: the leftmost pair (ab) merges
        assertArrayEquals(new int[] {6, 5}, ids(model(SpModelFile.BPE, "a", -5, "b", -5, "c", -5, "ab", -1, "bc", -1),
                "abc"));
        // an unknown character splits merges and is <unk> (0); two in a row are one <unk>
        assertArrayEquals(new int[] {5, 0, 5}, ids(model(SpModelFile.BPE, "a", -5, "b", -5, "ab", -1), "abxyab"));
    }

    @Test
    void unigramTakesTheBestSumOfScores() {
        // "abc": ab+c = -1-1.5 = -2.5 beats a+bc = -2-1 = -3 and a+b+c = -4.5
        assertArrayEquals(new int[] {6, 5}, ids(model(SpModelFile.UNIGRAM, "a", -2, "b", -1, "c", -1.5, "ab", -1,
                "bc", -1), "abc"));
        // with bc at -0.4: a+bc = -2.4 wins
        assertArrayEquals(new int[] {3, 7}, ids(model(SpModelFile.UNIGRAM, "a", -2, "b", -1, "c", -1.5, "ab", -1,
                "bc", -0.4), "abc"));
        // an unknown character costs min score - 10 and becomes <unk>
        assertArrayEquals(new int[] {3, 0, 4}, ids(model(SpModelFile.UNIGRAM, "a", -2, "b", -1), "a\u00e9b"));
    }

    @Test
    void decodeFollowsSpmDecode() {
        SentencePiece sp = SentencePiece.load(model(SpModelFile.BPE, "\u2581a", -1, "b", -2, "\u2581", -3).bytes(), PATH);
        assertEquals("a b", sp.decode(new int[] {3, 5, 4}));
        assertEquals("a \u2047 b", sp.decode(new int[] {1, 3, 0, 4, 2}), "control pieces vanish, <unk> is its surface");
        assertEquals("a", sp.decode(new int[] {5, 3}), "leading spaces of the text are dropped");
        assertEquals(List.of("\u2581a", "\u2581", "b"), sp.encodeAsPieces(" a  b "));
        assertThrows(IllegalArgumentException.class, () -> sp.decode(new int[] {6}));
    }
}
