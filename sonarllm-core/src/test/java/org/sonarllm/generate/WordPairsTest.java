package org.sonarllm.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Word-pair overlap on hand-counted sentences and its invariants on generated ones. */
class WordPairsTest {
    @Test
    void pairsAreAdjacentWordsInLowerCaseWithPunctuationIgnored() {
        assertEquals(Set.of("it is", "is impossible", "impossible for", "for him"), WordPairs.pairs("It is impossible, for him."));
        assertEquals(Set.of("don t", "t go", "go 2", "2 times"), WordPairs.pairs("Don't go -- 2 times!"));
        assertEquals(Set.of("élan vital"), WordPairs.pairs("  Élan\tvital... "));
        assertEquals(Set.of(), WordPairs.pairs("Yes."));
        assertEquals(Set.of(), WordPairs.pairs("?!"));
        assertEquals(Set.of("a a"), WordPairs.pairs("A a a."), "a set: a repeated pair counts once");
    }

    @Test
    void overlapIsTheShareOfTheSentencesPairsFoundInTheEarlierOne() {
        // pairs: it is, is impossible, impossible for, for him (4); the earlier one has "it is", "is impossible"
        assertEquals(0.5, WordPairs.overlap("It is impossible for him.", "It is impossible, I fear."), 1e-12);
        // reversed: the earlier sentence's 4 pairs are it is, is impossible, impossible i, i fear; 2 shared
        assertEquals(0.5, WordPairs.overlap("It is impossible, I fear.", "It is impossible for him."), 1e-12);
        // 3 pairs (she was, was very, very happy), 1 shared with "Was she very happy?" (very happy)
        assertEquals(1 / 3.0, WordPairs.overlap("She was very happy.", "Was she very happy?"), 1e-12);
        // contained in a longer sentence: every pair found
        assertEquals(1.0, WordPairs.overlap("He came back.", "Then he came back to Kellynch."), 1e-12);
        assertEquals(0.0, WordPairs.overlap("Yes.", "Yes."), 0, "one word has no pair");
        assertEquals(0.0, WordPairs.maxOverlap("It is so.", List.of()), 0);
        // the largest over several: 1/3 with the first, 2/3 with the second
        assertEquals(2 / 3.0, WordPairs.maxOverlap("She was very happy.", List.of("Was she very happy?", "She was very tired.")),
                1e-12);
    }

    @Test
    void overlapIsAShareThatIgnoresCaseAndPunctuation() {
        qt().forAll(lists().of(strings().betweenCodePoints('a', 'e').ofLengthBetween(1, 3)).ofSizeBetween(0, 8),
                lists().of(strings().betweenCodePoints('a', 'e').ofLengthBetween(1, 3)).ofSizeBetween(0, 8))
                .checkAssert((a, b) -> {
                    String s = String.join(" ", a);
                    String t = String.join(" ", b);
                    double o = WordPairs.overlap(s, t);
                    assertEquals(true, o >= 0 && o <= 1, "in [0, 1]: " + o);
                    assertEquals(o, WordPairs.overlap(String.join(", ", a).toUpperCase(Locale.ROOT) + "!", t), 1e-12);
                    assertEquals(a.size() < 2 ? 0.0 : 1.0, WordPairs.overlap(s, s), 0, "with itself");
                    assertEquals(a.size() < 2 ? 0.0 : 1.0, WordPairs.overlap(s, t + " . " + s), 0, "inside a longer text");
                    assertEquals(Math.max(o, WordPairs.overlap(s, "x")), WordPairs.maxOverlap(s, List.of(t, "x")), 1e-12);
                });
    }
}
