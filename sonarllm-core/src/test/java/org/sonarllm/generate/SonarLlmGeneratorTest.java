package org.sonarllm.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.decode.DecodingStrategy;
import org.sonarllm.lang.Language;
import org.sonarllm.segment.Segment;

/** Control flow of the loop over {@link TableComponents}; expected values are computed by hand there. */
class SonarLlmGeneratorTest {
    private final TableComponents.Encoder enc = new TableComponents.Encoder();
    private final TableComponents.Decoder dec = new TableComponents.Decoder();

    private SonarLlmGenerator gen(int limit, int eosAt) {
        return SonarLlmGenerator.builder().segmenter(new TableComponents.WordSegmenter()).encoder(enc)
                .conceptLm(new TableComponents.LM(limit, eosAt)).decoder(dec).eosEmbedding(TableComponents.EOS).build();
    }

    private static GenerationOptions opts(StopCriterion c) {
        return GenerationOptions.builder().decoding(DecodingOptions.greedy()).stopCriterion(c).build();
    }

    private static List<String> texts(GenerationResult r) {
        return r.sentences().stream().map(GeneratedSentence::text).toList();
    }

    @Test
    void reencodeFeedbackFollowsTheHandComputedChain() {
        // [1,1,0],[2,1,0] -> 5 -> fed back [5,1,0] -> 5+6 = 11 -> 11+12 = 23
        GenerationResult r = gen(100, 100).generate("S1 S2", opts(StopCriterion.maxSentences(3)));
        assertEquals(List.of("S5.0", "S11.0", "S23.0"), texts(r));
        assertEquals(StopCriterion.MAX_SENTENCES, r.stopReason());
        GeneratedSentence s1 = r.sentences().get(1);
        assertArrayEquals(new float[] {11, 0.5f, 0}, s1.predictedEmbedding());
        assertArrayEquals(new float[] {11, 1, 0}, s1.feedbackEmbedding());
        assertArrayEquals(new int[] {11, 2}, s1.ids());
        assertEquals(-11.0, s1.score());
        assertEquals(0.0, s1.eosCosine(), 1e-12);
        assertEquals(1, s1.index());
        assertEquals("S1 S2 S5.0 S11.0 S23.0", r.text());
        assertEquals(List.of("S1", "S2"), r.prompt().stream().map(Segment::text).toList());
        assertArrayEquals(new float[] {2, 1, 0}, r.promptEmbeddings().get(1));
    }

    @Test
    void predictedEmbeddingFeedbackAppendsThePredictionItself() {
        // 5 -> fed back [5,0.5,0] -> 5+5.5 = 10.5 -> 10.5+11 = 21.5; the encoder is never asked again
        GenerationOptions o = opts(StopCriterion.maxSentences(3)).toBuilder().feedback(FeedbackMode.PREDICTED_EMBEDDING)
                .build();
        GenerationResult r = gen(100, 100).generate("S1 S2", o);
        assertEquals(List.of("S5.0", "S10.5", "S21.5"), texts(r));
        assertArrayEquals(new float[] {10.5f, 0.5f, 0}, r.sentences().get(1).feedbackEmbedding());
        assertEquals(1, enc.languages.size(), "only the prompt is encoded");
    }

    @Test
    void eosStopDropsTheEndSentence() {
        // the LM predicts EOS once it holds 4 vectors: after S1 S2 S5.0 S11.0
        List<String> streamed = new ArrayList<>();
        GenerationResult r = gen(100, 4).generate("S1 S2", opts(StopCriterion.paperDefault()),
                s -> streamed.add(s.text()));
        assertEquals(List.of("S5.0", "S11.0"), texts(r));
        assertEquals(StopCriterion.EOS, r.stopReason());
        assertEquals(streamed, texts(r));
    }

    @Test
    void stopCriterionSeesEveryStepAndKeepOrDropIsHonoured() {
        List<String> seen = new ArrayList<>();
        List<Double> predictedCos = new ArrayList<>();
        StopCriterion keep = step -> {
            seen.add(step.index() + ":" + step.text());
            predictedCos.add(step.predictedEosCosine());
            return step.text().equals("S11.0") ? StopDecision.stopAndKeep("custom") : StopDecision.CONTINUE;
        };
        GenerationResult r = gen(100, 100).generate("S1 S2", opts(keep));
        assertEquals(List.of("0:S5.0", "1:S11.0"), seen);
        assertEquals(List.of("S5.0", "S11.0"), texts(r));
        assertEquals("custom", r.stopReason());
        assertEquals(List.of(0.0, 0.0), predictedCos);

        StopCriterion drop = step -> step.text().equals("S11.0") ? StopDecision.stopAndDrop("d") : StopDecision.CONTINUE;
        List<String> streamed = new ArrayList<>();
        GenerationResult r2 = gen(100, 100).generate("S1 S2", opts(drop.or(StopCriterion.maxSentences(9))),
                s -> streamed.add(s.text()));
        assertEquals(List.of("S5.0"), texts(r2));
        assertEquals(List.of("S5.0"), streamed, "a dropped sentence is never streamed");
        assertEquals("d", r2.stopReason());
    }

    @Test
    void eosThresholdComparesTheFedBackVector() {
        // eos = [1,0,0]: cos([5,1,0], eos) = 5/sqrt(26) = 0.98058; cos of the prediction [5,0.5,0] = 0.99504
        SonarLlmGenerator g = SonarLlmGenerator.builder().segmenter(new TableComponents.WordSegmenter()).encoder(enc)
                .conceptLm(new TableComponents.LM(100, 100)).decoder(dec).eosEmbedding(new float[] {1, 0, 0}).build();
        GenerationResult stop = g.generate("S1 S2", opts(StopCriterion.eosCosineAtLeast(0.98)));
        assertEquals(StopCriterion.EOS, stop.stopReason());
        assertTrue(stop.sentences().isEmpty());
        // 0.981 > 0.98058: S5.0 kept; S11.0 -> cos([11,1,0]) = 11/sqrt(122) = 0.99589 stops
        GenerationResult r = g.generate("S1 S2", opts(StopCriterion.eosCosineAtLeast(0.981)));
        assertEquals(List.of("S5.0"), texts(r));
        assertEquals(5 / Math.sqrt(26), r.sentences().get(0).eosCosine(), 1e-7);
        assertEquals(5 / Math.sqrt(25.25), r.sentences().get(0).predictedEosCosine(), 1e-7);
    }

    @Test
    void contextLimitStopsGenerationAndChecksThePrompt() {
        GenerationResult r = gen(4, 100).generate("S1 S2", opts(StopCriterion.maxSentences(10)));
        assertEquals(List.of("S5.0", "S11.0"), texts(r));
        assertEquals(SonarLlmGenerator.CONTEXT_LIMIT, r.stopReason());

        GenerationOptions o3 = opts(StopCriterion.maxSentences(10)).toBuilder().contextLimit(3).build();
        GenerationResult r3 = gen(10, 100).generate("S1 S2", o3);
        assertEquals(List.of("S5.0"), texts(r3));
        assertEquals(SonarLlmGenerator.CONTEXT_LIMIT, r3.stopReason());

        GenerationOptions o11 = opts(StopCriterion.maxSentences(10)).toBuilder().contextLimit(11).build();
        InvalidInputException big = assertThrows(InvalidInputException.class, () -> gen(10, 100).generate("S1", o11));
        assertTrue(big.getMessage().contains("11") && big.getMessage().contains("10"), big.getMessage());

        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> gen(4, 100).generate("S1 S2 S3 S4", opts(StopCriterion.maxSentences(10))));
        assertTrue(e.getMessage().contains("4 sentences") && e.getMessage().contains("limit is 4"), e.getMessage());

        GenerationOptions keep = opts(StopCriterion.maxSentences(10)).toBuilder().contextPolicy(ContextPolicy.KEEP_LAST)
                .build();
        GenerationResult k = gen(4, 100).generate("S1 S2 S3 S4", keep);
        assertEquals(List.of("S2", "S3", "S4"), k.prompt().stream().map(Segment::text).toList());
        assertEquals(List.of("S12.0"), texts(k)); // (2+1)+(3+1)+(4+1)
        assertEquals(SonarLlmGenerator.CONTEXT_LIMIT, k.stopReason());
    }

    @Test
    void blankDecodingEndsGeneration() {
        // (-9+1) + (1+1) = -6 decodes to ""
        GenerationResult r = gen(100, 100).generate("S-9 S1", opts(StopCriterion.maxSentences(5)));
        assertTrue(r.sentences().isEmpty());
        assertEquals(SonarLlmGenerator.EMPTY_SENTENCE, r.stopReason());
    }

    @Test
    void samplingSeedAdvancesPerSentenceAndLanguagesAreRouted() {
        Language fr = Language.of("fra_Latn");
        GenerationOptions o = GenerationOptions.builder().decoding(DecodingOptions.sampling(0.7, 0, 0.9, 42L))
                .stopCriterion(StopCriterion.maxSentences(3)).outputLanguage(fr).build();
        gen(100, 100).generate("S1 S2", o);
        List<Long> seeds = dec.seen.stream().map(d -> ((DecodingStrategy.Sampling) d.strategy()).seed()).toList();
        assertEquals(List.of(42L, 42L + 0x9E3779B97F4A7C15L, 42L + 2 * 0x9E3779B97F4A7C15L), seeds);
        assertEquals(List.of(fr, fr, fr), dec.languages);
        // the prompt, then every decoded sentence is re-encoded (the stop test needs its cosine)
        assertEquals(List.of(Language.ENGLISH, fr, fr, fr), enc.languages);
    }

    @Test
    void defaultEosVectorIsTheEncodedEndSentence() {
        SonarLlmGenerator g = SonarLlmGenerator.builder().segmenter(new TableComponents.WordSegmenter()).encoder(enc)
                .conceptLm(new TableComponents.LM(10, 10)).decoder(dec).build();
        assertArrayEquals(TableComponents.EOS, g.eosEmbedding());
    }

    @Test
    void preSegmentedPromptGivesTheSameRun() {
        SonarLlmGenerator g = gen(100, 100);
        GenerationResult a = g.generate("S1 S2", opts(StopCriterion.maxSentences(3)));
        GenerationResult b = g.generateSentences(List.of("S1", "S2"), opts(StopCriterion.maxSentences(3)),
                GenerationListener.NONE);
        assertEquals(a.sentences(), b.sentences());
        assertEquals(List.of(new Segment("S1", 0, 2), new Segment("S2", 3, 5)), b.prompt());
    }

    @Test
    void concurrentCallsMatchSequentialOnes() throws Exception {
        SonarLlmGenerator g = SonarLlmGenerator.builder().segmenter(new TableComponents.WordSegmenter()).encoder(enc)
                .conceptLm(new TableComponents.LM(100, 7)).decoder(dec).eosEmbedding(TableComponents.EOS)
                .batchThreads(3).build();
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            prompts.add(("S" + i + " ").repeat(1 + i % 5).strip());
        }
        GenerationOptions o = opts(StopCriterion.paperDefault());
        List<List<GeneratedSentence>> sequential = new ArrayList<>();
        for (String p : prompts) {
            sequential.add(g.generate(p, o).sentences());
        }
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<List<GeneratedSentence>>> fs = new ArrayList<>();
            for (int rep = 0; rep < 4; rep++) {
                for (String p : prompts) {
                    fs.add(pool.submit(() -> g.generate(p, o).sentences()));
                }
            }
            for (int i = 0; i < fs.size(); i++) {
                assertEquals(sequential.get(i % prompts.size()), fs.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
        List<GenerationResult> batch = g.generateAll(prompts, o);
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(sequential.get(i), batch.get(i).sentences());
        }
    }

    @Test
    void badInputIsRejectedWithTypedErrors() {
        SonarLlmGenerator g = gen(10, 10);
        GenerationOptions o = opts(StopCriterion.maxSentences(2));
        assertThrows(InvalidInputException.class, () -> g.generate("   \n", o));
        assertThrows(InvalidInputException.class, () -> g.generate("", o));
        assertThrows(InvalidInputException.class, () -> g.generate(null, o));
        assertThrows(InvalidInputException.class, () -> g.generateSentences(List.of(), o, GenerationListener.NONE));
        assertThrows(InvalidInputException.class, () -> g.generateSentences(List.of("S1", " "), o, GenerationListener.NONE));
        assertThrows(InvalidInputException.class, () -> g.generateAll(List.of("S1", ""), o));
        assertThrows(InvalidInputException.class, () -> StopCriterion.eosCosineAtLeast(1.01));
        assertThrows(InvalidInputException.class, () -> StopCriterion.eosCosineAtLeast(-1.5));
        assertThrows(InvalidInputException.class, () -> StopCriterion.eosCosineAtLeast(Double.NaN));
        assertThrows(InvalidInputException.class, () -> StopCriterion.maxSentences(0));
        assertThrows(InvalidInputException.class, () -> DecodingOptions.greedy().withMaxTokens(-1));
        assertThrows(InvalidInputException.class, () -> GenerationOptions.builder().contextLimit(-1).build());
        assertThrows(InvalidInputException.class, () -> SonarLlmGenerator.builder().encoder(enc).decoder(dec).build());
        assertThrows(InvalidInputException.class, () -> SonarLlmGenerator.builder().segmenter(new TableComponents.WordSegmenter())
                .encoder(enc).decoder(dec).conceptLm(new TableComponents.LM(10, 10)).eosEmbedding(new float[2]).build());
        assertThrows(InvalidInputException.class, () -> gen(1, 10).generate("S1", o));
    }
}
