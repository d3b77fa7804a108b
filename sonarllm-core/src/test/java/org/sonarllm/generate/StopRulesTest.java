package org.sonarllm.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.generate.StopRules.EosTest;
import org.sonarllm.generate.StopRules.RepetitionAction;

/** The built-in criteria over hand-made steps whose cosines are computed by hand in the comments. */
class StopRulesTest {
    /** A sentence whose fed-back vector is {@code feedback} and predicted vector {@code predicted}. */
    private static GeneratedSentence sentence(int index, String text, float[] predicted, float[] feedback,
            double eosCos, double predEosCos) {
        return new GeneratedSentence(index, text, new int[] {2}, 0, predicted, feedback, eosCos, predEosCos);
    }

    private static GeneratedSentence plain(int index, String text, float... feedback) {
        return sentence(index, text, feedback, feedback, 0, 0);
    }

    // history: [1,0,0] and [1,1,0]; candidate [1,0.9,0]:
    // cos with [1,1,0] = 1.9 / (sqrt(1.81) sqrt(2)) = 0.998618; with [1,0,0] = 1 / sqrt(1.81) = 0.743294
    private static final List<GeneratedSentence> HISTORY = List.of(plain(0, "A.", 1, 0, 0), plain(1, "B.", 1, 1, 0));
    private static final GenerationStep NEAR = new GenerationStep(2, plain(2, "C.", 1, 0.9f, 0), HISTORY);

    @Test
    void historyCosinesAreThoseOfTheFedBackVectors() {
        double[] c = NEAR.historyCosines();
        assertEquals(1 / Math.sqrt(1.81), c[0], 1e-6);
        assertEquals(1.9 / (Math.sqrt(1.81) * Math.sqrt(2)), c[1], 1e-6);
        assertEquals(0.998618, NEAR.maxHistoryCosine(), 1e-6);
        assertFalse(NEAR.repeatsVerbatim());
        assertEquals(Double.NEGATIVE_INFINITY, new GenerationStep(0, plain(0, "A.", 1, 0, 0)).maxHistoryCosine());
    }

    @Test
    void repetitionStopsOnCosineOrVerbatimRepeat() {
        assertEquals(StopDecision.stopAndDrop(StopCriterion.REPETITION), StopCriterion.repetition(0.998, false).check(NEAR));
        assertEquals(StopDecision.stopAndKeep(StopCriterion.REPETITION), StopCriterion.repetition(0.998, true).check(NEAR));
        assertEquals(StopDecision.CONTINUE, StopCriterion.repetition(0.999, false).check(NEAR));
        // same text, orthogonal vector (cosine 0 with both): the verbatim rule alone stops
        GenerationStep verbatim = new GenerationStep(2, plain(2, " B. ", 0, 0, 1), HISTORY);
        assertTrue(verbatim.repeatsVerbatim());
        assertEquals(0.0, verbatim.maxHistoryCosine(), 1e-12);
        assertTrue(StopCriterion.repetition(1.0, false).check(verbatim).stop());
    }

    @Test
    void repetitionOverlapStopsOnNearRepeatsAboveTheShare() {
        // candidate pairs: it is, is impossible, impossible for, for his, his own, own family (6); shared with the
        // second history sentence: it is, is impossible, impossible for, for his (4 of 6); with the first: it is (1 of 6)
        List<GeneratedSentence> history = List.of(plain(0, "It is late.", 1, 0, 0),
                plain(1, "It is impossible for his sister.", 0, 1, 0));
        GenerationStep near = new GenerationStep(2, plain(2, "It is impossible for his own family.", 0, 0, 1), history);
        assertEquals(4 / 6.0, near.maxHistoryOverlap(), 1e-12);
        assertEquals(0.0, near.maxHistoryCosine(), 1e-12, "orthogonal: the cosine test alone would go on");
        assertEquals(StopDecision.stopAndDrop(StopCriterion.REPETITION), StopCriterion.repetition(0.9, 0.6, false).check(near));
        assertEquals(StopDecision.stopAndKeep(StopCriterion.REPETITION), StopCriterion.repetition(0.9, 0.6, true).check(near));
        assertEquals(StopDecision.CONTINUE, StopCriterion.repetition(0.9, 4 / 6.0, false).check(near), "strictly above");
        assertEquals(StopDecision.CONTINUE, StopCriterion.repetition(0.9, false).check(near), "no word-pair test");
        assertEquals(StopDecision.CONTINUE, StopCriterion.repetition(0.9, 1.0, false).check(
                new GenerationStep(2, plain(2, "It is impossible for his sister!", 0, 0, 1), history)), "1 never stops");
        assertEquals(0.0, new GenerationStep(0, plain(0, "It is.", 1, 0, 0)).maxHistoryOverlap(), 0);
        StopRules rules = StopRules.paper().withRepetition(RepetitionAction.DROP_AND_STOP, 0.9);
        assertEquals(StopDecision.CONTINUE, rules.check(near));
        assertEquals(StopDecision.stopAndDrop(StopCriterion.REPETITION), rules.withRepetitionOverlap(0.5).check(near));
        assertEquals(StopDecision.CONTINUE, rules.withRepetitionOverlap(0.5).withRepetition(RepetitionAction.OFF, 0.9)
                .check(near), "the overlap acts through the repetition action");
        assertEquals(StopDecision.CONTINUE, rules.withRepetitionOverlap(0.5).withMinSentences(3).check(near),
                "under notBefore like the cosine");
        assertEquals(0.5, rules.withRepetitionOverlap(0.5).withEos(EosTest.OFF, 0).withMaxSentences(4).repetitionOverlap());
    }

    @Test
    void predictedEosTestReadsThePredictedCosine() {
        GenerationStep s = new GenerationStep(0, sentence(0, "x.", new float[] {1, 0, 0}, new float[] {0, 1, 0}, 0.2, 0.91));
        assertEquals(StopDecision.stopAndDrop(StopCriterion.EOS), StopCriterion.predictedEosCosineAtLeast(0.9).check(s));
        assertEquals(StopDecision.CONTINUE, StopCriterion.eosCosineAtLeast(0.9).check(s));
        assertEquals(StopDecision.CONTINUE, StopCriterion.predictedEosCosineAtLeast(0.92).check(s));
    }

    @Test
    void notBeforeCountsTheSentencesTheStopWouldLeave() {
        StopCriterion drop = step -> StopDecision.stopAndDrop("d");
        StopCriterion keep = step -> StopDecision.stopAndKeep("k");
        // history of 2: a drop leaves 2, a keep leaves 3
        assertTrue(drop.notBefore(2).check(NEAR).stop());
        assertFalse(drop.notBefore(3).check(NEAR).stop());
        assertTrue(keep.notBefore(3).check(NEAR).stop());
        assertFalse(keep.notBefore(4).check(NEAR).stop());
        assertThrows(InvalidInputException.class, () -> drop.notBefore(-1));
    }

    @Test
    void rulesAskEosThenRepetitionUnderTheMinimumThenTheLimit() {
        // NEAR: eos cosines 0 (fed back) and 0 (predicted); repetition cosine 0.998618; history 2
        StopRules r = StopRules.paper().withRepetition(RepetitionAction.DROP_AND_STOP, 0.99);
        assertEquals(StopDecision.stopAndDrop(StopCriterion.REPETITION), r.check(NEAR));
        assertEquals(StopDecision.stopAndKeep(StopCriterion.REPETITION),
                r.withRepetition(RepetitionAction.KEEP_AND_STOP, 0.99).check(NEAR));
        assertEquals(StopDecision.CONTINUE, r.withMinSentences(3).check(NEAR), "a drop would leave 2 < 3");
        assertEquals(StopDecision.stopAndKeep(StopCriterion.MAX_SENTENCES), r.withMinSentences(3).withMaxSentences(3)
                .check(NEAR), "the limit applies whatever the minimum");
        assertEquals(StopDecision.CONTINUE, StopRules.paper().check(NEAR), "the paper's rules have no repetition stop");

        GenerationStep eos = new GenerationStep(1, sentence(1, "End.", new float[] {1, 0, 0}, new float[] {1, 0, 0},
                0.985, 0.5), List.of(plain(0, "A.", 0, 1, 0)));
        assertEquals(StopDecision.stopAndDrop(StopCriterion.EOS), StopRules.paper().check(eos));
        assertEquals(StopDecision.CONTINUE, StopRules.paper().withEos(EosTest.PREDICTED, 0.9).check(eos));
        assertEquals(StopDecision.CONTINUE, StopRules.paper().withEos(EosTest.OFF, 0.9).check(eos));
        assertEquals(StopDecision.CONTINUE, StopRules.paper().withMinSentences(2).check(eos));
        assertEquals(StopDecision.stopAndKeep(StopCriterion.MAX_SENTENCES),
                StopRules.paper().withEos(EosTest.OFF, 0).withMaxSentences(2).check(eos));
    }

    @Test
    void rulesRejectValuesOutsideTheirRanges() {
        StopRules p = StopRules.paper();
        assertThrows(InvalidInputException.class, () -> p.withEos(EosTest.REENCODED, 1.5));
        assertThrows(InvalidInputException.class, () -> p.withRepetition(RepetitionAction.DROP_AND_STOP, Double.NaN));
        assertThrows(InvalidInputException.class, () -> p.withMaxSentences(0));
        assertThrows(InvalidInputException.class, () -> p.withMinSentences(-1));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> p.withMaxSentences(4).withMinSentences(5));
        assertEquals("expected a minimum sentence count in 0..4 (the sentence limit), found 5", e.getMessage());
        assertThrows(InvalidInputException.class, () -> StopCriterion.repetition(-2, true));
        assertThrows(InvalidInputException.class, () -> StopCriterion.predictedEosCosineAtLeast(2));
        e = assertThrows(InvalidInputException.class, () -> p.withRepetitionOverlap(1.01));
        assertEquals("repetition word-pair overlap must be in [0, 1], got 1.01", e.getMessage());
        assertThrows(InvalidInputException.class, () -> p.withRepetitionOverlap(Double.NaN));
        assertThrows(InvalidInputException.class, () -> StopCriterion.repetition(0.9, -0.1, true));
    }

    @Test
    void modelDefaultsOverrideTheRulesFromBundleProperties() {
        Map<String, Object> props = Map.of(ModelDefaults.ADD_BEGIN, true, ModelDefaults.GENERATION,
                Map.of("repetition", "drop_and_stop", "repetitionThreshold", 0.93, "minSentences", 1));
        GenerationOptions o = ModelDefaults.apply(GenerationOptions.defaults(), props, "b");
        assertTrue(o.addBegin());
        assertEquals(new StopRules(EosTest.REENCODED, 0.98, RepetitionAction.DROP_AND_STOP, 0.93, 1, 32), o.stopCriterion());
        assertEquals(GenerationOptions.defaults(), ModelDefaults.apply(GenerationOptions.defaults(), Map.of(), "b"));
        StopRules all = new StopRules(EosTest.PREDICTED, 0.9, RepetitionAction.KEEP_AND_STOP, 0.8, 2, 7);
        assertEquals(all, ModelDefaults.apply(GenerationOptions.defaults(),
                Map.of(ModelDefaults.GENERATION, ModelDefaults.properties(all)), "b").stopCriterion());
        assertEquals(StopCriterion.NO_OVERLAP_TEST, all.repetitionOverlap(), 0, "the six-value constructor has no word-pair test");
        assertFalse(ModelDefaults.properties(all).containsKey("repetitionOverlap"), "written only when on");
        StopRules near = all.withRepetitionOverlap(0.45);
        assertEquals(0.45, ModelDefaults.properties(near).get("repetitionOverlap"));
        assertEquals(near, ModelDefaults.apply(GenerationOptions.defaults(),
                Map.of(ModelDefaults.GENERATION, ModelDefaults.properties(near)), "b").stopCriterion());
    }

    @Test
    void malformedModelDefaultsAreModelFormatErrors() {
        GenerationOptions d = GenerationOptions.defaults();
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ModelDefaults.apply(d, Map.of(ModelDefaults.ADD_BEGIN, "yes"), "bundle"));
        assertEquals("bundle: expected concept_lm property addBegin to be true or false, found yes", e.getMessage());
        e = assertThrows(ModelFormatException.class,
                () -> ModelDefaults.apply(d, Map.of(ModelDefaults.GENERATION, Map.of("repeat", 1)), "bundle"));
        assertTrue(e.getMessage().contains("found repeat"), e.getMessage());
        e = assertThrows(ModelFormatException.class,
                () -> ModelDefaults.apply(d, Map.of(ModelDefaults.GENERATION, Map.of("repetition", "sometimes")), "b"));
        assertEquals("b: expected generation.repetition to be one of [off, keep_and_stop, drop_and_stop], found sometimes",
                e.getMessage());
        e = assertThrows(ModelFormatException.class,
                () -> ModelDefaults.apply(d, Map.of(ModelDefaults.GENERATION, Map.of("repetitionThreshold", 3)), "b"));
        assertTrue(e.getMessage().contains("[-1, 1], got 3.0"), e.getMessage());
        assertThrows(ModelFormatException.class,
                () -> ModelDefaults.apply(d, Map.of(ModelDefaults.GENERATION, Map.of("maxSentences", 2.5)), "b"));
        e = assertThrows(ModelFormatException.class,
                () -> ModelDefaults.apply(d, Map.of(ModelDefaults.GENERATION, Map.of("repetitionOverlap", -1)), "b"));
        assertEquals("b: concept_lm property generation: repetition word-pair overlap must be in [0, 1], got -1.0", e.getMessage());
        assertThrows(ModelFormatException.class, () -> ModelDefaults.apply(d, Map.of(ModelDefaults.GENERATION, 7), "b"));
    }
}
