package org.sonarllm.training.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.InvalidInputException;
import org.sonarllm.lang.Language;
import org.sonarllm.segment.SentenceSegmenter;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.training.data.CorpusReader;

/**
 * The prompts of eval-generation with their true continuations ({@link NextSentenceEvaluator#openings(List,
 * SentenceSegmenter, int, int, long, int)}): written out by hand for a two-file corpus.
 */
class HeldOutOpeningsTest {
    private static final SentenceSegmenter EN = SentenceSegmenters.forLanguage(Language.ENGLISH);

    @TempDir
    Path tmp;

    private List<CorpusReader.RawDocument> corpus() throws Exception {
        Files.writeString(tmp.resolve("a.txt"), "Anne sat down. She was tired. It rained all day.\n\n"
                + "Mary called.\n\nThe bells rang twice. Nobody came.\n\nCharles went out. He shot a bird.\n");
        Files.writeString(tmp.resolve("b.txt"), "Lady Russell wrote. Her letter was long.\n\nAnne read it. She smiled.\n");
        return CorpusReader.read(tmp);
    }

    @Test
    void continuationsRunAcrossParagraphsButNotFiles() throws Exception {
        List<NextSentenceEvaluator.Opening> o = NextSentenceEvaluator.openings(corpus(), EN, 10, 2, 1, 3);
        assertEquals(List.of(
                new NextSentenceEvaluator.Opening("Anne sat down. She was tired.",
                        List.of("It rained all day.", "Mary called.", "The bells rang twice.")),
                new NextSentenceEvaluator.Opening("The bells rang twice. Nobody came.",
                        List.of("Charles went out.", "He shot a bird.")),
                new NextSentenceEvaluator.Opening("Charles went out. He shot a bird.", List.of()),
                new NextSentenceEvaluator.Opening("Lady Russell wrote. Her letter was long.",
                        List.of("Anne read it.", "She smiled.")),
                new NextSentenceEvaluator.Opening("Anne read it. She smiled.", List.of())), o);
    }

    @Test
    void theSamePromptsAsWithoutContinuations() throws Exception {
        List<CorpusReader.RawDocument> raw = corpus();
        for (long seed = 1; seed <= 5; seed++) {
            for (int k = 1; k <= 3; k++) {
                List<String> prompts = NextSentenceEvaluator.openings(raw, EN, 2, k, seed);
                List<NextSentenceEvaluator.Opening> o = NextSentenceEvaluator.openings(raw, EN, 2, k, seed, 1);
                assertEquals(prompts, o.stream().map(NextSentenceEvaluator.Opening::prompt).toList());
                o.forEach(x -> assertTrue(x.continuation().size() <= 1, x.toString()));
            }
        }
        // k = 3: only the first paragraph has three sentences, and its own third sentence follows it
        assertEquals(List.of(new NextSentenceEvaluator.Opening("Anne sat down. She was tired. It rained all day.",
                List.of("Mary called.", "The bells rang twice."))), NextSentenceEvaluator.openings(raw, EN, 5, 3, 1, 2));
        assertEquals(List.of(), NextSentenceEvaluator.openings(raw, EN, 1, 2, 3, 0).get(0).continuation());
    }

    @Test
    void badArgumentsAreRefused() throws Exception {
        List<CorpusReader.RawDocument> raw = corpus();
        assertThrows(InvalidInputException.class, () -> NextSentenceEvaluator.openings(raw, EN, 2, 2, 1, -1));
        assertThrows(InvalidInputException.class, () -> NextSentenceEvaluator.openings(raw, EN, 2, 4, 1, 2));
    }
}
