package org.sonarllm.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.generate.StopRules.RepetitionAction;
import org.sonarllm.segment.Segment;

/**
 * Batched {@code generateAll}, the begin sentence and the repetition stop end to end over {@link
 * TableComponents}; expected values computed by hand in the comments.
 */
class BatchedGenerationTest {
    private final TableComponents.Encoder enc = new TableComponents.Encoder();
    private final TableComponents.Decoder dec = new TableComponents.Decoder();

    private SonarLlmGenerator gen(TableComponents.LM lm, BatchOptions b) {
        return SonarLlmGenerator.builder().segmenter(new TableComponents.WordSegmenter()).encoder(enc).conceptLm(lm)
                .decoder(dec).eosEmbedding(TableComponents.EOS).batchOptions(b).build();
    }

    private static GenerationOptions opts(StopCriterion c) {
        return GenerationOptions.builder().decoding(DecodingOptions.greedy()).stopCriterion(c).build();
    }

    private static List<String> texts(GenerationResult r) {
        return r.sentences().stream().map(GeneratedSentence::text).toList();
    }

    /** Prompts of 1 to 5 sentences that stop for different reasons at different steps. */
    private static List<String> prompts() {
        List<String> p = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            p.add(i % 7 == 3 ? "S-40 S1" : ("S" + i + " ").repeat(1 + i % 5).strip());
        }
        return p;
    }

    @Test
    void batchesEqualOnePromptAtATimeAndShrinkAsPromptsStop() {
        // the sum rule, but the EOS vector once the sum passes 150
        TableComponents.LM lm = new TableComponents.LM(7, 100, seq -> {
            float[] v = TableComponents.LM.sum(seq);
            return v[0] > 150 ? TableComponents.EOS.clone() : v;
        });
        GenerationOptions o = opts(StopRules.paper().withMaxSentences(4));
        SonarLlmGenerator one = gen(lm, BatchOptions.SEQUENTIAL);
        List<GenerationResult> expected = new ArrayList<>();
        for (String p : prompts()) {
            expected.add(one.generate(p, o));
        }
        // the prompts end by context limit (7 sentences), EOS, 4 sentences and blank decodings
        assertEquals(List.of("context_limit", "empty_sentence", "eos", "max_sentences"), expected.stream()
                .map(GenerationResult::stopReason).distinct().sorted().toList());
        for (BatchOptions b : List.of(BatchOptions.of(24, 1), BatchOptions.of(5, 1), BatchOptions.of(3, 2),
                BatchOptions.of(1, 4))) {
            dec.batchSizes.clear();
            List<GenerationResult> got = gen(lm, b).generateAll(prompts(), o);
            assertEquals(expected.size(), got.size());
            for (int i = 0; i < got.size(); i++) {
                assertEquals(expected.get(i).sentences(), got.get(i).sentences(), b + " prompt " + i);
                assertEquals(expected.get(i).stopReason(), got.get(i).stopReason(), b + " prompt " + i);
                assertEquals(expected.get(i).prompt(), got.get(i).prompt());
            }
            if (b.batchSize() == 24) {
                // one decoder call per step for every running prompt: 24 at first, then fewer as they stop
                assertEquals(24, dec.batchSizes.get(0));
                for (int k = 1; k < dec.batchSizes.size(); k++) {
                    assertTrue(dec.batchSizes.get(k) <= dec.batchSizes.get(k - 1), dec.batchSizes.toString());
                }
                int longest = expected.stream().mapToInt(r -> r.sentences().size()).max().orElseThrow();
                assertTrue(dec.batchSizes.size() <= longest + 1, dec.batchSizes.toString());
            }
        }
        assertEquals(0, lm.open.get(), "every session closed");
    }

    @Test
    void promptsOfABatchAreEncodedInOneCall() {
        enc.calls.clear();
        gen(new TableComponents.LM(100, 100), BatchOptions.of(8, 1)).generateAll(List.of("S1 S2", "S3", "S4 S5 S6"),
                opts(StopRules.paper().withMaxSentences(2)));
        // prompts in one call, then one re-encoding call per step for the three sentences
        assertEquals(List.of(List.of("S1", "S2", "S3", "S4", "S5", "S6"), List.of("S5.0", "S4.0", "S18.0"),
                List.of("S11.0", "S9.0", "S37.0")), enc.calls);
    }

    @Test
    void beginSentenceStartsTheSequenceButNotThePrompt() {
        // [0,2,0] + [1,1,0] + [2,1,0]: 2 + 2 + 3 = 7; then 7 + (7+1) = 15
        GenerationOptions o = opts(StopRules.paper().withMaxSentences(2)).toBuilder().addBegin(true).build();
        GenerationResult r = gen(new TableComponents.LM(100, 100), BatchOptions.SEQUENTIAL).generate("S1 S2", o);
        assertEquals(List.of("S7.0", "S15.0"), texts(r));
        assertEquals(List.of("S1", "S2"), r.prompt().stream().map(Segment::text).toList());
        assertEquals(2, r.promptEmbeddings().size());
        // it takes one context position: begin + 2 prompt sentences + 1 generated = 4
        GenerationResult c = gen(new TableComponents.LM(4, 100), BatchOptions.SEQUENTIAL).generate("S1 S2", o);
        assertEquals(List.of("S7.0"), texts(c));
        assertEquals(SonarLlmGenerator.CONTEXT_LIMIT, c.stopReason());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> gen(new TableComponents.LM(3, 100),
                BatchOptions.SEQUENTIAL).generate("S1 S2", o));
        assertTrue(e.getMessage().contains("begin sentence + prompt + generated"), e.getMessage());
    }

    @Test
    void verbatimRepetitionStopsKeepsOrDropsAndWaitsForTheMinimum() {
        // the LM always predicts [7, 0.5, 0]: every sentence is "S7.0"
        TableComponents.LM constant = new TableComponents.LM(100, 100, seq -> new float[] {7, 0.5f, 0});
        SonarLlmGenerator g = gen(constant, BatchOptions.SEQUENTIAL);
        StopRules rep = StopRules.paper().withRepetition(RepetitionAction.DROP_AND_STOP, 1.0);
        GenerationResult drop = g.generate("S1", opts(rep));
        assertEquals(List.of("S7.0"), texts(drop));
        assertEquals(StopCriterion.REPETITION, drop.stopReason());
        assertEquals(List.of("S7.0", "S7.0"), texts(g.generate("S1",
                opts(rep.withRepetition(RepetitionAction.KEEP_AND_STOP, 1.0)))));
        assertEquals(List.of("S7.0", "S7.0", "S7.0"), texts(g.generate("S1", opts(rep.withMinSentences(3)))));
        assertEquals(32, g.generate("S1", opts(StopRules.paper())).sentences().size(), "off by default");
    }

    @Test
    void cosineRepetitionComparesTheReencodedSentences() {
        // the LM predicts [10 + n, 0.5, 0] after n vectors: "S11.0" [11,1,0], then "S12.0" [12,1,0]:
        // cos = (132 + 1) / (sqrt(122) sqrt(145)) = 0.99996...
        TableComponents.LM drift = new TableComponents.LM(100, 100, seq -> new float[] {10 + seq.size(), 0.5f, 0});
        SonarLlmGenerator g = gen(drift, BatchOptions.SEQUENTIAL);
        double cos = 133 / (Math.sqrt(122) * Math.sqrt(145));
        GenerationResult stop = g.generate("S1", opts(StopRules.paper()
                .withRepetition(RepetitionAction.DROP_AND_STOP, cos - 1e-6)));
        assertEquals(List.of("S11.0"), texts(stop));
        assertEquals(StopCriterion.REPETITION, stop.stopReason());
        // step 2: S13.0 vs S12.0 = (156 + 1) / (sqrt(170) sqrt(145)) = 0.99998 reaches it (vs S11.0 it is 0.99978)
        GenerationResult later = g.generate("S1", opts(StopRules.paper()
                .withRepetition(RepetitionAction.DROP_AND_STOP, cos + 1e-6)));
        assertEquals(List.of("S11.0", "S12.0"), texts(later));
        assertEquals(StopCriterion.REPETITION, later.stopReason());
        assertArrayEquals(new float[] {12, 1, 0}, later.sentences().get(1).feedbackEmbedding());
        double next = 157 / (Math.sqrt(170) * Math.sqrt(145));
        GenerationResult go = g.generate("S1", opts(StopRules.paper().withMaxSentences(3)
                .withRepetition(RepetitionAction.DROP_AND_STOP, next + 1e-6)));
        assertEquals(List.of("S11.0", "S12.0", "S13.0"), texts(go));
    }

    @Test
    void batchOptionsAreBounded() {
        assertThrows(InvalidInputException.class, () -> BatchOptions.of(0, 1));
        assertThrows(InvalidInputException.class, () -> BatchOptions.of(-3, 1));
        assertThrows(InvalidInputException.class, () -> BatchOptions.of(BatchOptions.MAX_BATCH_SIZE + 1, 1));
        assertThrows(InvalidInputException.class, () -> BatchOptions.of(4, 0));
        assertThrows(InvalidInputException.class, () -> BatchOptions.of(4, BatchOptions.MAX_THREADS + 1));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> BatchOptions.of(0, 1));
        assertEquals("expected a batch size in 1..1024, found 0", e.getMessage());
        assertThrows(InvalidInputException.class, () -> SonarLlmGenerator.builder().batchThreads(0));
        assertEquals(List.of(), gen(new TableComponents.LM(9, 9), BatchOptions.defaults()).generateAll(List.of(),
                GenerationOptions.defaults()));
    }
}
