package org.sonarllm.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;
import org.sonarllm.lang.Language;
import org.sonarllm.testing.TinyA;

/** Reproduces tiny-a's expected.json case a_tokenization exactly. */
class SonarTokenizerTest {
    private static SonarTokenizer tok;
    private static JsonNode a;

    @BeforeAll
    static void load() {
        tok = SonarTokenizer.load(TinyA.dir().resolve("tokenizer"));
        a = TinyA.expected().get("a_tokenization");
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    private static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.forEach(x -> out.add(x.asText()));
        return out;
    }

    @Test
    void sizesAndSpecialIdsMatchFixture() {
        JsonNode e = TinyA.expected();
        assertEquals(e.get("dims").get("sp_model_size").asInt(), tok.pieceCount());
        assertEquals(e.get("dims").get("tokenizer_vocab_size").asInt(), tok.vocabSize());
        assertEquals(e.get("special_ids").get("mask").asInt(), tok.maskId());
        assertEquals(e.get("special_ids").get("lang_eng_Latn").asInt(), tok.languageId(Language.ENGLISH));
        assertEquals(e.get("special_ids").get("bos").asInt(), SonarTokenizer.BOS);
        assertEquals(e.get("special_ids").get("pad").asInt(), SonarTokenizer.PAD);
        assertEquals(e.get("special_ids").get("eos").asInt(), SonarTokenizer.EOS);
        assertEquals(e.get("special_ids").get("unk").asInt(), SonarTokenizer.UNK);
        assertEquals(SonarTokenizer.DEFAULT_MAX_LENGTH, tok.maxLength());
    }

    @Test
    void everyCaseMatchesPiecesIdsAndDetokenization() {
        Language lang = Language.of(a.get("lang").asText());
        assertEquals(7, a.get("cases").size());
        for (JsonNode c : a.get("cases")) {
            String text = c.get("text").asText();
            assertEquals(strings(c.get("pieces")), tok.pieces(text), text);
            assertArrayEquals(TinyA.ints(c.get("encoder_ids")), tok.encoderIds(text, lang), text);
            assertArrayEquals(TinyA.ints(c.get("decoder_input_ids")), tok.decoderInput(text, lang), text);
            assertArrayEquals(TinyA.ints(c.get("decoder_target_ids")), tok.decoderTarget(text, lang), text);
            assertEquals(c.get("detokenized").asText(), tok.decode(TinyA.ints(c.get("encoder_ids"))), text);
            assertEquals(c.get("detokenized").asText(), tok.decode(tok.decoderInput(text, lang)), text);
            int[] prefix = tok.decoderPrefix(lang);
            int[] sonarTarget = TinyA.ints(c.get("sonar_target_ids"));
            assertArrayEquals(prefix, Arrays.copyOf(sonarTarget, 2));
        }
    }

    @Test
    void unknownCharacterBecomesUnkAndIsDroppedOnDecode() {
        int[] ids = tok.encoderIds("Mr. Darcy's café opened at 10 o'clock — or so they said!", Language.ENGLISH);
        assertTrue(Arrays.stream(ids).anyMatch(i -> i == SonarTokenizer.UNK));
    }

    @Test
    void otherLanguages() {
        assertEquals(3, a.get("other_languages").size());
        for (JsonNode c : a.get("other_languages")) {
            Language l = Language.of(c.get("lang").asText());
            assertArrayEquals(TinyA.ints(c.get("encoder_ids")), tok.encoderIds(c.get("text").asText(), l));
            assertEquals(c.get("encoder_ids").get(0).asInt(), tok.languageId(l));
        }
    }

    @Test
    void detokenizationCases() {
        assertTrue(a.get("detokenization_cases").size() >= 4);
        for (JsonNode c : a.get("detokenization_cases")) {
            assertEquals(c.get("text").asText(), tok.decode(TinyA.ints(c.get("ids"))), c.toString());
        }
    }

    @Test
    void isPieceClassifiesIds() {
        for (int id = 0; id <= 3; id++) {
            assertFalse(tok.isPiece(id), "special " + id);
        }
        assertTrue(tok.isPiece(4));
        assertTrue(tok.isPiece(tok.pieceCount()));
        assertFalse(tok.isPiece(tok.pieceCount() + 1));
        assertFalse(tok.isPiece(tok.languageId(Language.ENGLISH)));
        assertFalse(tok.isPiece(tok.maskId()));
        assertFalse(tok.isPiece(tok.vocabSize()));
        assertFalse(tok.isPiece(-1));
        assertFalse(tok.isPiece(Integer.MAX_VALUE));
        assertEquals("", tok.decode(new int[] {Integer.MIN_VALUE, -5, 1_000_000, 1205}));
    }

    @Test
    void truncationKeepsLanguageAndEos() {
        JsonNode c = a.get("cases").get(0);
        String text = c.get("text").asText();
        int[] enc = TinyA.ints(c.get("encoder_ids"));
        int[] dIn = TinyA.ints(c.get("decoder_input_ids"));
        try (SonarTokenizer t10 = SonarTokenizer.load(TinyA.dir().resolve("tokenizer"), 10)) {
            int[] want = Arrays.copyOf(enc, 10);
            want[9] = SonarTokenizer.EOS;
            assertArrayEquals(want, t10.encoderIds(text, Language.ENGLISH));
            assertArrayEquals(want, t10.decoderTarget(text, Language.ENGLISH));
            assertArrayEquals(Arrays.copyOf(dIn, 10), t10.decoderInput(text, Language.ENGLISH));
            assertEquals(tok.pieces(text), t10.pieces(text), "pieces() is never cut");
        }
    }

    @Test
    void textFarLongerThanMaximumIsCut() {
        JsonNode c = a.get("cases").get(4);
        String sentence = c.get("text").asText();
        String huge = String.join(" ", java.util.Collections.nCopies(20_000, sentence));
        int[] ids = tok.encoderIds(huge, Language.ENGLISH);
        assertEquals(tok.maxLength(), ids.length);
        assertEquals(tok.languageId(Language.ENGLISH), ids[0]);
        assertEquals(SonarTokenizer.EOS, ids[ids.length - 1]);
        int[] one = TinyA.ints(c.get("encoder_ids"));
        // The first sentence's pieces open the sequence.
        assertArrayEquals(Arrays.copyOfRange(one, 0, one.length - 1), Arrays.copyOf(ids, one.length - 1));
        assertEquals(tok.maxLength(), tok.decoderInput(huge, Language.ENGLISH).length);
    }

    @Test
    void nullEmptyAndBlankTextRejected() {
        for (String bad : new String[] {null, "", " ", "\n\t  \r\n"}) {
            assertThrows(InvalidInputException.class, () -> tok.encoderIds(bad, Language.ENGLISH));
            assertThrows(InvalidInputException.class, () -> tok.decoderInput(bad, Language.ENGLISH));
            assertThrows(InvalidInputException.class, () -> tok.decoderTarget(bad, Language.ENGLISH));
            assertThrows(InvalidInputException.class, () -> tok.pieces(bad));
        }
        assertThrows(InvalidInputException.class, () -> tok.encoderIds("Hi.", null));
        assertThrows(InvalidInputException.class, () -> tok.decoderPrefix(null));
        assertThrows(InvalidInputException.class, () -> tok.decode(null));
        assertThrows(InvalidInputException.class,
                () -> SonarTokenizer.load(TinyA.dir().resolve("tokenizer"), 2));
        assertThrows(InvalidInputException.class, () -> SonarTokenizer.load(null));
    }

    @Test
    void unpairedSurrogatesBecomeReplacementCharactersNotQuestionMarks() {
        int[] lone = tok.encoderIds("He could\uD800 not help it?", Language.ENGLISH);
        int[] replaced = tok.encoderIds("He could\uFFFD not help it?", Language.ENGLISH);
        assertArrayEquals(replaced, lone);
        // the native binding would have turned the surrogate into a '?' piece
        assertEquals(1, tok.decode(lone).chars().filter(ch -> ch == '?').count());
        // a valid surrogate pair (emoji) is one unknown character, not two
        assertEquals(List.of("▁", "x", "\uD83D\uDE00", "y"), tok.pieces("x\uD83D\uDE00y"));
        assertEquals("x\uFFFDy", SonarTokenizer.sanitize("x\uDE00y"));
        assertEquals("x\uFFFD", SonarTokenizer.sanitize("x\uD83D"));
    }

    @Test
    void threadSafe() throws Exception {
        JsonNode cases = a.get("cases");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Integer>> jobs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                final int seed = t;
                jobs.add(() -> {
                    int checked = 0;
                    for (int i = 0; i < 300; i++) {
                        JsonNode c = cases.get((i + seed) % cases.size());
                        String text = c.get("text").asText();
                        if (!Arrays.equals(TinyA.ints(c.get("encoder_ids")), tok.encoderIds(text, Language.ENGLISH))
                                || !c.get("detokenized").asText().equals(tok.decode(TinyA.ints(c.get("encoder_ids"))))
                                || tok.pieces(text).size() != c.get("pieces").size()) {
                            throw new AssertionError("wrong result under concurrency for " + text);
                        }
                        checked++;
                    }
                    return checked;
                });
            }
            int total = 0;
            for (Future<Integer> f : pool.invokeAll(jobs)) {
                total += f.get();
            }
            assertEquals(8 * 300, total);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closeIsIdempotentAndLaterUseFails() {
        SonarTokenizer t = SonarTokenizer.load(TinyA.dir().resolve("tokenizer"));
        assertEquals(tok.encoderIds("It is.", Language.ENGLISH).length, t.encoderIds("It is.", Language.ENGLISH).length);
        t.close();
        t.close();
        assertThrows(IllegalStateException.class, () -> t.encoderIds("It is.", Language.ENGLISH));
        assertThrows(IllegalStateException.class, () -> t.decode(new int[] {100}));
        assertThrows(IllegalStateException.class, () -> t.pieces("It is."));
    }

    @Test
    void allLanguagesGetConsecutiveIds() {
        int[] ids = Language.all().stream().mapToInt(tok::languageId).toArray();
        assertArrayEquals(IntStream.range(tok.pieceCount() + 1, tok.maskId()).toArray(), ids);
    }
}
