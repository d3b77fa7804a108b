package org.sonarllm.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;

/** Words as letter runs, the word-by-word state a search follows, and the lexicon file. */
class LexiconTest {
    static final Lexicon L = Lexicon.of(List.of("the", "cat", "car", "Darcy", "s", "été"));

    @Test
    void wordsAreLetterRunsLowerCasedRunsWithNumbersLeftOut() {
        assertEquals(List.of("mr", "darcy", "s", "pounds", "a", "year"),
                Lexicon.words("Mr. Darcy's 10,000 pounds a-year; 3rd"));
        assertEquals(List.of("été", "naïve"), Lexicon.words("  Été, naïve!"));
        assertEquals(List.of(), Lexicon.words("1815 -- 42"));
        assertEquals(List.of("b"), Lexicon.words("a1 b"));
    }

    @Test
    void containsIgnoresCase() {
        assertTrue(L.contains("DARCY"));
        assertTrue(L.contains("Été"));
        assertFalse(L.contains("ca"));
        assertEquals(6, L.size());
    }

    @Test
    void extendFollowsWordsThroughPieces() {
        // " the cat." in pieces " the", " ca", "t", "."
        Lexicon.State s = Lexicon.start();
        s = L.extend(s, " the");
        assertNotNull(s);
        assertTrue(L.canEnd(s));
        s = L.extend(s, " ca");
        assertNotNull(s, "'ca' begins 'cat' and 'car'");
        assertFalse(L.canEnd(s), "'ca' is no word");
        assertNotNull(L.extend(s, "r"));
        assertNull(L.extend(s, "rs"), "'cars' is not in the lexicon and no word begins with it");
        assertNull(L.extend(s, " "), "ending 'ca' writes a non-word");
        s = L.extend(s, "t.");
        assertNotNull(s);
        assertTrue(L.canEnd(s));
        assertNull(L.extend(Lexicon.start(), " dog"));
    }

    @Test
    void numbersPunctuationAndCaseAreFree() {
        assertNotNull(L.extend(Lexicon.start(), "1815, 42% -- \"THE\" Cat's"));
        Lexicon.State n = L.extend(Lexicon.start(), " 3");
        assertNotNull(L.extend(n, "rdzz"), "a run with a number is not a word");
        assertTrue(L.canEnd(L.extend(n, "rdzz")));
        assertNull(L.extend(Lexicon.start(), " cax1"), "letters before the number must still begin a word");
    }

    @Test
    void aTextIsAllowedExactlyWhenAllItsWordsAreInTheLexicon() {
        // any cut of a text into pieces: extend accepts it and may end iff Lexicon.words(text) are all in L
        qt().forAll(lists().of(strings().betweenCodePoints('a', 'e').ofLengthBetween(1, 3)).ofSizeBetween(1, 6))
                .checkAssert(parts -> {
                    Lexicon lex = Lexicon.of(List.of("a", "ab", "bad", "cab", "dead"));
                    String text = String.join(" ", parts) + ".";
                    boolean expected = Lexicon.words(text).stream().allMatch(lex::contains);
                    Lexicon.State s = Lexicon.start();
                    for (int i = 0; i < text.length() && s != null; i += 2) {
                        s = lex.extend(s, text.substring(i, Math.min(text.length(), i + 2)));
                    }
                    assertEquals(expected, s != null && lex.canEnd(s), text);
                });
    }

    @Test
    void anyLexiconAcceptsATextExactlyWhenItHasAllItsWords() {
        // random lexicons (the trie behind extend, its hashing and sharing of prefixes) against the word list itself
        qt().forAll(lists().of(strings().betweenCodePoints('a', 'f').ofLengthBetween(1, 6)).ofSizeBetween(1, 300),
                lists().of(strings().betweenCodePoints('a', 'f').ofLengthBetween(1, 6)).ofSizeBetween(1, 8))
                .checkAssert((vocabulary, sentence) -> {
                    Lexicon lex = Lexicon.of(vocabulary);
                    // a sentence of the lexicon's own words (accepted) and a random one (accepted iff all are in it)
                    for (List<String> words : List.of(vocabulary.subList(0, Math.min(5, vocabulary.size())), sentence)) {
                        String text = String.join(" ", words).toUpperCase() + "!";
                        boolean expected = words.stream().allMatch(vocabulary::contains);
                        Lexicon.State s = Lexicon.start();
                        for (int i = 0; i < text.length() && s != null; i += 3) {
                            s = lex.extend(s, text.substring(i, Math.min(text.length(), i + 3)));
                        }
                        assertEquals(expected, s != null && lex.canEnd(s), text + " with " + vocabulary.size() + " words");
                    }
                });
    }

    @Test
    void fromTextsReadWriteRoundTrip(@TempDir Path dir) throws Exception {
        Lexicon l = Lexicon.fromTexts(List.of("The cat sat.", "THE car, 1815"));
        assertEquals(Lexicon.of(List.of("the", "cat", "sat", "car")), l);
        Path f = dir.resolve("lexicon.txt");
        l.write(f);
        assertEquals(List.of("car", "cat", "sat", "the"), Files.readAllLines(f, StandardCharsets.UTF_8));
        assertEquals(l, Lexicon.read(f));
    }

    @Test
    void badWordsAndFilesAreRefusedWithTheirPlace(@TempDir Path dir) throws Exception {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Lexicon.of(List.of("cat", "x1")));
        assertEquals("expected a word of 1..256 letters, found \"x1\"", e.getMessage());
        assertThrows(InvalidInputException.class, () -> Lexicon.of(List.of()));
        assertThrows(InvalidInputException.class, () -> Lexicon.fromTexts(List.of("1815 -- 42")));
        Path f = dir.resolve("bad.txt");
        Files.writeString(f, "cat\n\nnot a word\n");
        ModelFormatException m = assertThrows(ModelFormatException.class, () -> Lexicon.read(f));
        assertEquals(f + " line 3: expected a word of 1..256 letters, found \"not a word\"", m.getMessage());
        assertThrows(ModelFormatException.class, () -> Lexicon.read(dir.resolve("missing.txt")));
    }

    @Test
    void optionsCarryTheLexicon() {
        DecodingOptions o = DecodingOptions.beam(5).withLexicon(L).withMaxTokens(7);
        assertEquals(L, o.lexicon());
        assertEquals(7, o.maxTokens());
        assertNull(DecodingOptions.beam(5).lexicon());
        assertNull(o.withLexicon(null).lexicon());
    }
}
