package org.sonarllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sonarllm.encode.Vectors;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.testing.TinyA;

/**
 * {@code sonarllm generate --batch}, the stop-rule flags (thresholds taken from tiny-a case g's
 * cosines) and what a person sees, in-process on tiny-a.
 */
class GenerateBatchCommandTest {
    private static Path bundle;
    private static JsonNode g;
    private static final String[] CASE_G = {"--greedy", "--max-tokens", "16", "--max-sentences", "3"};

    @BeforeAll
    static void convert() throws Exception {
        bundle = TinyABundle.withConceptLm();
        g = TinyA.expected().get("g_generation");
    }

    private static String prompt() {
        List<String> p = new ArrayList<>();
        g.get("prompt").forEach(n -> p.add(n.asText()));
        return String.join(" ", p);
    }

    private static List<String> stepTexts(int n) {
        List<String> t = new ArrayList<>();
        g.get("steps").forEach(s -> t.add(s.get("text").asText()));
        return t.subList(0, n);
    }

    private static MainTest.Result gen(String stdin, String... extra) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", bundle.toString()));
        args.addAll(List.of(CASE_G));
        args.addAll(List.of(extra));
        return MainTest.run(stdin, args.toArray(String[]::new));
    }

    private static List<String> texts(JsonNode o) {
        List<String> t = new ArrayList<>();
        o.get("sentences").forEach(s -> t.add(s.get("text").asText()));
        return t;
    }

    @Test
    void batchPrintsOneObjectPerPromptInInputOrderWhateverTheBatchSize() throws Exception {
        String stdin = prompt() + "\nIt rained.\nMr. Darcy bowed. Elizabeth laughed.\nIt rained.\n";
        MainTest.Result one = gen(stdin, "--batch", "--batch-size", "1");
        MainTest.Result four = gen(stdin, "--batch", "--batch-size", "4");
        MainTest.Result two = gen(stdin, "--batch", "--batch-size", "2", "--batch-threads", "2");
        for (MainTest.Result r : List.of(one, four, two)) {
            assertEquals(0, r.code(), r.err());
            List<JsonNode> lines = r.lines();
            assertEquals(4, lines.size());
            assertEquals(stepTexts(3), texts(lines.get(0)));
            assertEquals("max_sentences", lines.get(0).get("stop_reason").asText());
            assertEquals("It rained.", lines.get(1).get("prompt").get(0).get("text").asText());
            assertEquals(2, lines.get(2).get("prompt").size());
            for (int i = 0; i < 4; i++) {
                assertEquals(texts(one.lines().get(i)), texts(lines.get(i)));
                for (int k = 0; k < lines.get(i).get("sentences").size(); k++) {
                    assertArrayEquals(TinyA.ints(one.lines().get(i).get("sentences").get(k).get("ids")),
                            TinyA.ints(lines.get(i).get("sentences").get(k).get("ids")));
                }
            }
            assertEquals(texts(lines.get(1)), texts(lines.get(3)), "the same prompt twice");
        }
    }

    @Test
    void batchRejectsBadSizesBlankLinesAndPromptArguments() {
        for (String size : List.of("0", "-3", "1025")) {
            MainTest.Result r = gen("It rained.\n", "--batch", "--batch-size", size);
            assertEquals(2, r.code(), size);
            assertEquals(List.of("error: expected a batch size in 1..1024, found " + size), r.errLines());
        }
        MainTest.Result threads = gen("It rained.\n", "--batch", "--batch-threads", "0");
        assertEquals(List.of("error: expected a thread count in 1..256, found 0"), threads.errLines());
        MainTest.Result blank = gen("It rained.\n\nMr. Darcy bowed.\n", "--batch");
        assertEquals(2, blank.code());
        assertEquals(List.of("error: stdin line 2: expected a prompt, found an empty line"), blank.errLines());
        assertEquals(2, gen("", "--batch").code());
        assertEquals(2, gen("", "--batch", "Hi.").code());
    }

    @Test
    void plainOutputShowsThePromptThenStreamsThenTheStopReason() {
        MainTest.Result r = gen("", prompt());
        assertEquals(0, r.code(), r.err());
        assertEquals(stepTexts(3), List.of(r.out().strip().split("\n")), "stdout holds the continuation only");
        List<String> err = r.errLines();
        assertEquals(3, err.size(), r.err());
        assertEquals("> " + g.get("prompt").get(0).asText(), err.get(0));
        assertEquals("> " + g.get("prompt").get(1).asText(), err.get(1));
        assertTrue(err.get(2).startsWith("(stopped: max_sentences after 3 sentences, "), err.get(2));
    }

    @Test
    void stopFlagsUseTheCosinesOfCaseG() throws Exception {
        JsonNode steps = g.get("steps");
        // repetition: sentence 1's re-encoded vector against sentence 0's, from the fixture
        double rep = Vectors.cosine(TinyA.floats(steps.get(1).get("reencoded_embedding")),
                TinyA.floats(steps.get(0).get("reencoded_embedding")));
        MainTest.Result r = gen("", "--json", "--repetition", "drop_and_stop", "--repetition-threshold",
                Double.toString(rep - 1e-3), prompt());
        assertEquals(0, r.code(), r.err());
        assertEquals(stepTexts(1), texts(r.lines().get(0)));
        assertEquals("repetition", r.lines().get(0).get("stop_reason").asText());
        r = gen("", "--json", "--repetition", "keep_and_stop", "--repetition-threshold", Double.toString(rep - 1e-3),
                prompt());
        assertEquals(stepTexts(2), texts(r.lines().get(0)));
        // the predicted vector's EOS cosine (LCM's test): step 2's is the largest of the three
        double pred = steps.get(2).get("cosine_predicted_to_eos").asDouble();
        for (int k = 0; k < 2; k++) {
            assertTrue(steps.get(k).get("cosine_predicted_to_eos").asDouble() < pred - 1e-3, "step " + k + " stays below");
        }
        r = gen("", "--json", "--eos-test", "predicted", "--stop-threshold", Double.toString(pred - 1e-3), prompt());
        assertEquals(stepTexts(2), texts(r.lines().get(0)));
        assertEquals("eos", r.lines().get(0).get("stop_reason").asText());
        // the threshold variant stops at step 1; a minimum of 2 sentences overrides it
        String variant = g.get("threshold_variant").get("threshold").asText();
        r = gen("", "--json", "--stop-threshold", variant, "--min-sentences", "2", prompt());
        assertEquals(stepTexts(3), texts(r.lines().get(0)));
        assertEquals(2, gen("", "--eos-test", "sometimes", prompt()).code());
        assertEquals(2, gen("", "--min-sentences", "4", prompt()).code(), "minimum above --max-sentences 3");
    }

    @Test
    void repetitionOverlapStopsOnTheSentenceSharingWordPairs() throws Exception {
        // case g's texts, counted by hand: step 1 shares no word pair with step 0; step 2's 9 pairs (heartse wve,
        // wve l, l comfort, comfort app, app affect, affect nor, nor cankedisfitionicul, cankedisfitionicul norris,
        // norris affect) share "affect nor" with step 1 and none with step 0: 1/9
        assertEquals(List.of("heartse woubt3 heart even perfect affect norained C norained soained",
                "heart contorth P goodJ affect nor can eveningject motheroughtenedodicul",
                "heartse wve l comfort app affect nor cankedisfitionicul Norris affect"), stepTexts(3));
        MainTest.Result r = gen("", "--json", "--repetition", "drop_and_stop", "--repetition-threshold", "1",
                "--repetition-overlap", "0.11", prompt());
        assertEquals(0, r.code(), r.err());
        assertEquals(stepTexts(2), texts(r.lines().get(0)));
        assertEquals("repetition", r.lines().get(0).get("stop_reason").asText());
        r = gen("", "--json", "--repetition", "drop_and_stop", "--repetition-threshold", "1", "--repetition-overlap", "0.112",
                prompt());
        assertEquals(stepTexts(3), texts(r.lines().get(0)), "1/9 = 0.111... is not above 0.112");
        assertEquals("max_sentences", r.lines().get(0).get("stop_reason").asText());
        MainTest.Result bad = gen("", "--repetition-overlap", "1.5", prompt());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("repetition word-pair overlap must be in [0, 1], got 1.5"), bad.err());
    }

    @Test
    void sentenceSamplingIsSeededAndBounded() throws Exception {
        MainTest.Result a = gen("", "--json", "--sentence-temperature", "3", "--candidates", "3", "--seed", "7", prompt());
        MainTest.Result b = gen("", "--json", "--sentence-temperature", "3", "--candidates", "3", "--seed", "7", prompt());
        assertEquals(0, a.code(), a.err());
        assertEquals(a.out(), b.out());
        MainTest.Result none = gen("", "--candidates", "2", prompt());
        assertEquals(2, none.code());
        assertTrue(none.err().contains("needs a sentence temperature above 0"), none.err());
        assertEquals(2, gen("", "--timeout", "-1", prompt()).code());
        assertEquals(2, gen("", "--sentence-temperature", "-1", prompt()).code());
    }
}
