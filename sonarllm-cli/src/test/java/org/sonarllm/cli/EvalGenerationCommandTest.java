package org.sonarllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.training.eval.GenerationMetrics;

/**
 * eval-generation on the embedded model: the printed figures equal {@link GenerationMetrics} recomputed
 * from the printed samples and the vocabulary text, the prompts are the corpus's openings, and every
 * continuation respects the sentence limit.
 */
class EvalGenerationCommandTest {
    @TempDir
    Path tmp;

    @Test
    void figuresMatchTheSamplesTheyArePrintedWith() throws Exception {
        Path corpus = Files.writeString(tmp.resolve("held.txt"), "Anne walked to the window. The rain had stopped.\n\n"
                + "Captain Wentworth bowed. He said nothing at all.\n\nMary was ill again. Nobody believed her.\n");
        Path vocab = Files.writeString(tmp.resolve("vocab.txt"), "Anne walked to the window and the rain had stopped.\n");
        JsonNode o = evalGeneration(corpus, vocab, 3);
        List<String> prompts = new ArrayList<>();
        List<List<String>> continuations = new ArrayList<>();
        for (JsonNode s : o.get("samples")) {
            prompts.add(s.get("prompt").asText());
            List<String> c = new ArrayList<>();
            s.get("continuation").forEach(x -> c.add(x.asText()));
            assertTrue(c.size() <= 3, c.toString());
            continuations.add(c);
        }
        assertEquals(List.of("Anne walked to the window. The rain had stopped.",
                "Captain Wentworth bowed. He said nothing at all.", "Mary was ill again. Nobody believed her."), prompts);
        GenerationMetrics.Report e = GenerationMetrics.of(prompts, continuations,
                GenerationMetrics.vocabulary(List.of(Files.readString(vocab))));
        assertEquals(e.sentences(), o.get("sentences").asInt());
        assertEquals(e.words(), o.get("words").asInt());
        assertEquals(e.vocabularyShare(), o.get("vocabulary_share").asDouble(), 1e-4);
        assertEquals(e.verbatimRepeats(), o.get("verbatim_repeats").asInt());
        assertEquals(e.distinct2(), o.get("distinct_2").asDouble(), 1e-4);
        assertEquals(e.promptDependent(), o.get("prompt_dependent").asInt());
        assertEquals(e.stutters(), o.get("stutters").asInt());
        assertEquals(e.stuttersPer100Words(), o.get("stutters_per_100_words").asDouble(), 1e-4);
        assertTrue(e.words() > 0 && e.vocabularyShare() < 1, "a tiny vocabulary text leaves words outside it");

        MainTest.Result bad = MainTest.run("", "eval-generation", "--corpus", corpus.toString(), "--vocabulary",
                tmp.resolve("none.txt").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("vocabulary text not found"), bad.err());
    }

    @Test
    void theHeldOutTextsOwnContinuationIsTheYardstick() throws Exception {
        // paragraphs of two sentences are the prompts; what follows each, across paragraph ends, is its continuation
        Path corpus = Files.writeString(tmp.resolve("held.txt"), "Anne walked to the window. The rain had stopped.\n\n"
                + "Anne opened the window.\n\nCaptain Wentworth bowed. He smiled.\n\nThe captain left.\n");
        Path vocab = Files.writeString(tmp.resolve("vocab.txt"), "Anne walked to the window and the captain left.\n");
        JsonNode o = evalGeneration(corpus, vocab, 2);
        JsonNode h = o.get("held_out_text");
        // continuations: [Anne opened the window., Captain Wentworth bowed., He smiled.] and [The captain left.]
        assertEquals(2, h.get("prompts").asInt());
        assertEquals(4, h.get("sentences").asInt());
        assertEquals(12, h.get("words").asInt());
        // known: anne, the, window, captain, then the, captain, left: 7 of 12
        assertEquals(7.0 / 12, h.get("vocabulary_share").asDouble(), 1e-4);
        assertEquals(0, h.get("verbatim_repeats").asInt());
        // content words: prompt 1 {anne, walked, window, rain, stopped}, prompt 2 {captain, wentworth, bowed, smiled};
        // continuation 1 shares 2 with its own prompt and 4 with the other; continuation 2 shares 1 and 0
        assertEquals(1, h.get("prompt_dependent").asInt());
        assertEquals(1.5, h.get("mean_shared_with_own_prompt").asDouble(), 1e-9);
        assertEquals(2.0, h.get("mean_shared_with_other_prompts").asDouble(), 1e-9);
        assertEquals(0, h.get("stutters").asInt());
        assertEquals("[\"The captain left.\"]", o.get("samples").get(1).get("held_out").toString());
        // the same-length yardstick: each true continuation cut to the generated sentence count
        List<String> prompts = new ArrayList<>();
        List<List<String>> cut = new ArrayList<>();
        for (JsonNode s : o.get("samples")) {
            prompts.add(s.get("prompt").asText());
            List<String> c = new ArrayList<>();
            s.get("held_out").forEach(x -> c.add(x.asText()));
            cut.add(c.subList(0, Math.min(c.size(), s.get("continuation").size())));
        }
        GenerationMetrics.Report e = GenerationMetrics.of(prompts, cut, GenerationMetrics.vocabulary(List.of(Files.readString(vocab))));
        JsonNode same = o.get("held_out_text_same_length");
        assertEquals(e.sentences(), same.get("sentences").asInt());
        assertEquals(e.promptDependent(), same.get("prompt_dependent").asInt());
        assertEquals(e.meanOwnOverlap(), same.get("mean_shared_with_own_prompt").asDouble(), 1e-4);
    }

    /** Runs eval-generation greedily with at most 3 sentences per prompt; returns its report. */
    private static JsonNode evalGeneration(Path corpus, Path vocab, int prompts) throws Exception {
        MainTest.Result r = MainTest.run("", "eval-generation", "--corpus", corpus.toString(), "--vocabulary",
                vocab.toString(), "--prompts", Integer.toString(prompts), "--max-sentences", "3", "--beam", "1");
        assertEquals(0, r.code(), r.err());
        return new ObjectMapper().readTree(r.out());
    }
}
