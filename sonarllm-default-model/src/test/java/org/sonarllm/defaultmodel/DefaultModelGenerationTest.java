package org.sonarllm.defaultmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.generate.BatchOptions;
import org.sonarllm.generate.GeneratedSentence;
import org.sonarllm.generate.GenerationOptions;
import org.sonarllm.generate.GenerationResult;
import org.sonarllm.generate.StopCriterion;
import org.sonarllm.generate.StopRules;
import org.sonarllm.generate.WordPairs;
import org.sonarllm.onnx.SonarLlm;

/**
 * Generation with the embedded default model as users run it: its bundle turns the repetition stop
 * on, near-repeats included (docs/generation.md, "Model defaults"), so the README prompt's continuation
 * has neither a repeated sentence nor a variant of an earlier one; and batched {@code generateAll} gives
 * the same texts as one prompt at a time.
 */
class DefaultModelGenerationTest {
    static final String README_PROMPT = "It is a truth universally acknowledged, that a single man in possession of a "
            + "good fortune, must be in want of a wife.";
    private static SonarLlm llm;

    @BeforeAll
    static void load() {
        llm = SonarLlm.loadDefault();
    }

    @AfterAll
    static void close() {
        llm.close();
    }

    @Test
    void theBundleTurnsTheRepetitionStopOn() {
        GenerationOptions d = llm.generator().defaultOptions();
        assertEquals(StopRules.paper().withRepetition(StopRules.RepetitionAction.DROP_AND_STOP, 0.9).withRepetitionOverlap(0.5),
                d.stopCriterion());
        assertTrue(!d.addBegin());
    }

    @Test
    void theReadmePromptContinuesWithoutARepeatedSentence() {
        GenerationResult r = llm.generator().generate(README_PROMPT);
        assertTrue(r.sentences().size() >= 2, r.sentences().toString());
        List<String> kept = r.sentences().stream().map(GeneratedSentence::text).toList();
        for (int k = 0; k < kept.size(); k++) {
            assertTrue(WordPairs.maxOverlap(kept.get(k), kept.subList(0, k)) <= 0.5, "a variant of an earlier one: " + kept);
        }
        assertEquals(kept.size(), new HashSet<>(kept).size(), kept.toString());
        assertEquals(StopCriterion.REPETITION, r.stopReason(), "the model repeats itself afterwards; the stop ends it");
        // without the stop the same model repeats verbatim (the reason the default exists)
        GenerationOptions off = llm.generator().defaultOptions().toBuilder().stopCriterion(StopRules.paper()).build();
        List<String> all = llm.generator().generate(README_PROMPT, off).sentences().stream()
                .map(GeneratedSentence::text).toList();
        assertTrue(new HashSet<>(all).size() < all.size(), all.toString());
        // the stop ended the run on a variant: without it the same run goes on with a sentence sharing more than half
        // its word pairs with a kept one
        assertEquals(kept, all.subList(0, kept.size()), "the same run up to the stop");
        assertTrue(WordPairs.maxOverlap(all.get(kept.size()), kept) > 0.5, all.toString());
    }

    @Test
    void theReadmeShowsWhatTheCommandPrints() throws Exception {
        // README's quick start: "> prompt", the continuation, "(stopped: REASON after N sentences, T s)"
        List<String> lines = java.nio.file.Files.readAllLines(java.nio.file.Path.of("../README.md"));
        int start = lines.indexOf("> " + README_PROMPT);
        assertTrue(start > 0, "README shows the prompt line");
        List<String> shown = new ArrayList<>();
        String stop = null;
        for (int i = start + 1; i < lines.size() && stop == null; i++) {
            if (lines.get(i).startsWith("(stopped: ")) {
                stop = lines.get(i);
            } else {
                shown.add(lines.get(i));
            }
        }
        GenerationResult r = llm.generator().generate(README_PROMPT);
        assertEquals(r.sentences().stream().map(GeneratedSentence::text).toList(), shown);
        assertTrue(stop != null && stop.startsWith("(stopped: " + r.stopReason() + " after " + r.sentences().size()
                + " sentences, "), stop);
    }

    @Test
    void batchedGenerationEqualsOnePromptAtATime() {
        List<String> prompts = List.of(README_PROMPT, "Anne walked to the window.",
                "Captain Wentworth said nothing. Anne looked away. The evening was long.", "Mr. Elliot bowed.");
        GenerationOptions o = llm.generator().defaultOptions().toBuilder()
                .decoding(DecodingOptions.greedy().withMaxTokens(60)).build();
        List<GenerationResult> one = new ArrayList<>();
        for (String p : prompts) {
            one.add(llm.generator().generate(p, o));
        }
        List<GenerationResult> batched = llm.generator(BatchOptions.of(4, 1)).generateAll(prompts, o);
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(one.get(i).stopReason(), batched.get(i).stopReason(), "prompt " + i);
            assertEquals(one.get(i).sentences().size(), batched.get(i).sentences().size(), "prompt " + i);
            for (int k = 0; k < one.get(i).sentences().size(); k++) {
                assertEquals(one.get(i).sentences().get(k).text(), batched.get(i).sentences().get(k).text());
                assertArrayEquals(one.get(i).sentences().get(k).ids(), batched.get(i).sentences().get(k).ids());
            }
        }
    }
}
