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
        MainTest.Result r = MainTest.run("", "eval-generation", "--corpus", corpus.toString(), "--vocabulary",
                vocab.toString(), "--prompts", "3", "--max-sentences", "3", "--beam", "1");
        assertEquals(0, r.code(), r.err());
        JsonNode o = new ObjectMapper().readTree(r.out());
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
        assertTrue(e.words() > 0 && e.vocabularyShare() < 1, "a tiny vocabulary text leaves words outside it");

        MainTest.Result bad = MainTest.run("", "eval-generation", "--corpus", corpus.toString(), "--vocabulary",
                tmp.resolve("none.txt").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("vocabulary text not found"), bad.err());
    }
}
