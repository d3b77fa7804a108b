package org.sonarllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** eval-repetition: the held-out text's word-pair overlaps counted by hand, and a run on the embedded model. */
class EvalRepetitionCommandTest {
    @TempDir
    Path tmp;

    @Test
    @SuppressWarnings("unchecked")
    void heldOutOverlapsAreEachLaterSentenceAgainstTheEarlierOnesOfItsParagraph() {
        // paragraph 1: "She came in." shares none of its 2 pairs with "Anne was there."; "Anne was there again." shares
        // anne was, was there (2 of its 3) with the first; paragraph 2: one sentence, nothing counted; paragraph 3:
        // the second sentence's 2 pairs (it is, is late) are both in the first (it is, is late, late it): 1, and the
        // third repeats them: 1. Sorted: 0, 0.667, 1, 1
        List<List<String>> paragraphs = List.of(List.of("Anne was there.", "She came in.", "Anne was there again."),
                List.of("Alone."), List.of("It is late, it is.", "It is late.", "It is late."));
        Map<String, Object> r = EvalRepetitionCommand.reference(paragraphs, 3);
        assertEquals(4, r.get("later_sentences"));
        Map<String, Object> q = (Map<String, Object>) r.get("max_overlap");
        assertEquals(0.0, q.get("min"));
        assertEquals(1.0, q.get("max"));
        assertEquals(1.0, q.get("p50"), "the element at 0.5 x 4");
        List<Map<String, Object>> above = (List<Map<String, Object>>) r.get("overlaps");
        assertEquals(Map.of("overlap", 0.5, "above", 3L, "share_above", 0.75), Map.copyOf(above.get(2)));
        assertEquals(Map.of("overlap", 0.7, "above", 2L, "share_above", 0.5), Map.copyOf(above.get(4)));
        assertEquals(Map.of("overlap", 0.6, "above", 3L, "share_above", 0.75), Map.copyOf(above.get(3)), "2/3 is above 0.6");
        assertEquals(2, EvalRepetitionCommand.reference(paragraphs, 2).get("later_sentences"), "window of 2: the third sentences are left out");
    }

    @Test
    void reportCountsEveryLaterSentenceOnTheEmbeddedModel() throws Exception {
        Path corpus = Files.writeString(tmp.resolve("held.txt"), "Anne walked to the window. The rain had stopped.\n\n"
                + "Captain Wentworth bowed. He said nothing at all. Mary laughed.\n");
        MainTest.Result r = MainTest.run("", "eval-repetition", "--corpus", corpus.toString(), "--prompts", "2",
                "--max-sentences", "4", "--beam", "1", "--examples", "3");
        assertEquals(0, r.code(), r.err());
        JsonNode o = new ObjectMapper().readTree(r.out());
        int later = o.get("later_sentences").asInt();
        assertEquals(o.get("sentences").asInt() - 2, later, "every sentence after each prompt's first");
        assertEquals(later - o.get("verbatim_repeats").asInt(), o.get("distinct_max_overlap").get("n").asInt());
        for (JsonNode t : o.get("overlaps")) {
            assertTrue(t.get("distinct_above").asInt() <= o.get("distinct_max_overlap").get("n").asInt(), t.toString());
            assertTrue(t.get("mean_kept_drop_and_stop").asDouble() <= 4, t.toString());
        }
        // the corpus's own later sentences: the rain one (1 in its paragraph of 2) and two in the other (window 4)
        assertEquals(3, o.get("held_out_text").get("later_sentences").asInt());
        assertEquals(0.0, o.get("held_out_text").get("max_overlap").get("max").asDouble(), "no pair shared in the corpus");
    }
}
