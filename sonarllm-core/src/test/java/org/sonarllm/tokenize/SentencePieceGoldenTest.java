package org.sonarllm.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The pure-Java SentencePiece against Google's reference tools ({@code spm_encode}, {@code spm_decode},
 * {@code spm_normalize} of Debian's sentencepiece 0.1.97) on the golden files of {@code
 * scripts/spm-goldens.sh}: eight models (tiny-a's and the Austen BPE; four trained for the test: BPE
 * with byte fallback and user-defined/control symbols, UNIGRAM, UNIGRAM with nfkc_cf and whitespace as
 * suffix, BPE without normalization rules; and copies of the Austen BPE and the UNIGRAM with UNUSED
 * pieces), 3437 texts and 400 random id sequences each. Every line must be equal.
 */
class SentencePieceGoldenTest {
    private static final int SHOWN = 5;

    @TestFactory
    Stream<DynamicTest> encodeEqualsSpmEncodeOnEveryLine() {
        List<String> texts = SpmGoldens.texts();
        return SpmGoldens.models().stream().map(m -> DynamicTest.dynamicTest(m.name(), () -> {
            SentencePiece sp = m.load();
            List<String> want = m.golden("ids");
            assertEquals(texts.size(), want.size(), "golden lines of " + m.name());
            List<String> bad = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                int[] got = sp.encode(texts.get(i));
                if (!Arrays.equals(SpmGoldens.ids(want.get(i)), got)) {
                    bad.add("line " + (i + 1) + " " + quote(texts.get(i)) + ": expected [" + want.get(i) + "], found "
                            + Arrays.toString(got));
                }
            }
            assertNoMismatch(m.name() + " encode", texts.size(), bad);
        }));
    }

    @TestFactory
    Stream<DynamicTest> piecesAgreeWithIds() {
        List<String> texts = SpmGoldens.texts();
        return SpmGoldens.models().stream().map(m -> DynamicTest.dynamicTest(m.name(), () -> {
            SentencePiece sp = m.load();
            SpModelFile model = sp.model();
            List<String> want = m.golden("ids");
            List<String> bad = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                int[] ids = SpmGoldens.ids(want.get(i));
                List<String> pieces = sp.encodeAsPieces(texts.get(i));
                boolean ok = pieces.size() == ids.length;
                for (int k = 0; ok && k < ids.length; k++) {
                    // a merged run of unknown characters is one piece whose text is not the <unk> piece
                    ok = model.type(ids[k]) == SpModelFile.UNKNOWN || pieces.get(k).equals(model.pieces[ids[k]]);
                }
                if (!ok) {
                    bad.add("line " + (i + 1) + ": ids [" + want.get(i) + "], pieces " + pieces);
                }
            }
            assertNoMismatch(m.name() + " pieces", texts.size(), bad);
        }));
    }

    @TestFactory
    Stream<DynamicTest> decodeEqualsSpmDecode() {
        return SpmGoldens.models().stream().map(m -> DynamicTest.dynamicTest(m.name(), () -> {
            SentencePiece sp = m.load();
            for (String kind : new String[] {"", "random-"}) {
                List<String> ids = m.golden(kind + "ids");
                List<String> want = m.golden(kind + "decoded");
                assertEquals(ids.size(), want.size(), "golden lines of " + m.name() + " " + kind + "decoded");
                List<String> bad = new ArrayList<>();
                for (int i = 0; i < ids.size(); i++) {
                    String got = sp.decode(SpmGoldens.ids(ids.get(i)));
                    if (!want.get(i).equals(got)) {
                        bad.add("line " + (i + 1) + " [" + ids.get(i) + "]: expected " + quote(want.get(i)) + ", found "
                                + quote(got));
                    }
                }
                assertNoMismatch(m.name() + " " + kind + "decode", ids.size(), bad);
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> normalizerEqualsSpmNormalize() {
        List<String> texts = SpmGoldens.texts();
        return SpmGoldens.models().stream().filter(m -> m.golden("normalized") != null)
                .map(m -> DynamicTest.dynamicTest(m.name(), () -> {
                    SpModelFile f = SpModelFile.parse(m.bytes(), Path.of(m.resource()));
                    // spm_normalize runs the model's normalizer_spec alone: no user-defined symbols and no
                    // trainer_spec (so a dummy prefix, never a suffix)
                    SpNormalizer n = new SpNormalizer(f.charsMap.length == 0 ? null : SpCharsMap.parse(f.charsMap,
                            Path.of(m.resource())), null, f.addDummyPrefix, f.removeExtraWhitespaces,
                            f.escapeWhitespaces, false);
                    List<String> want = m.golden("normalized");
                    List<String> bad = new ArrayList<>();
                    for (int i = 0; i < texts.size(); i++) {
                        String got = new String(n.normalize(Utf8.encode(texts.get(i))),
                                java.nio.charset.StandardCharsets.UTF_8);
                        if (!want.get(i).equals(got)) {
                            bad.add("line " + (i + 1) + " " + quote(texts.get(i)) + ": expected " + quote(want.get(i))
                                    + ", found " + quote(got));
                        }
                    }
                    assertNoMismatch(m.name() + " normalize", texts.size(), bad);
                }));
    }

    /** Every sampled rule of the decompiled nmt_nfkc charsmap maps its whole source to its target. */
    @Test
    void charsMapHoldsEveryDecompiledRule() {
        SpmGoldens.Model tiny = SpmGoldens.models().get(0);
        SpModelFile f = SpModelFile.parse(tiny.bytes(), Path.of(tiny.resource()));
        assertEquals("nmt_nfkc", f.normalizerName);
        SpCharsMap map = SpCharsMap.parse(f.charsMap, Path.of(tiny.resource()));
        List<String> rules = SpmGoldens.lines(SpmGoldens.DIR + "nmt_nfkc-charsmap.tsv");
        assertNotNull(rules);
        assertTrue(rules.size() > 9000, "rules sampled: " + rules.size());
        List<String> bad = new ArrayList<>();
        for (String rule : rules) {
            String[] st = rule.split("\t", -1);
            byte[] source = Utf8.encode(codePoints(st[0]));
            long hit = map.longestMatch(source, 0, source.length);
            String got = hit < 0 ? null : new String(map.replacement(hit), java.nio.charset.StandardCharsets.UTF_8);
            if (hit < 0 || SpCharsMap.length(hit) != source.length || !codePoints(st[1]).equals(got)) {
                bad.add(rule + " -> " + (hit < 0 ? "no match" : SpCharsMap.length(hit) + " bytes, " + quote(got)));
            }
        }
        assertNoMismatch("charsmap", rules.size(), bad);
    }

    private static String codePoints(String hex) {
        StringBuilder sb = new StringBuilder();
        for (String h : hex.trim().split(" ")) {
            if (!h.isEmpty()) {
                sb.appendCodePoint(Integer.parseInt(h, 16));
            }
        }
        return sb.toString();
    }

    private static void assertNoMismatch(String what, int total, List<String> bad) {
        if (!bad.isEmpty()) {
            throw new AssertionError(what + ": " + bad.size() + " of " + total + " lines differ from the reference; first "
                    + Math.min(SHOWN, bad.size()) + ":\n  " + String.join("\n  ", bad.subList(0, Math.min(SHOWN,
                    bad.size()))));
        }
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f || c >= 0x80 && c < 0xa0 || c == '"' || c == '\\') {
                sb.append(String.format("\\u%04x", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        return sb.append('"').toString();
    }
}
