package org.sonarllm.defaultmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.generate.GenerationResult;
import org.sonarllm.bundle.DefaultBundle;
import org.sonarllm.decode.Lexicon;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.lang.Language;
import org.sonarllm.training.eval.SpaceEvaluator;

/**
 * The embedded default model (the miniature SONAR space and concept LM trained on Austen,
 * docs/default-model.md) meets its bars through the path users run: it is found on the class path,
 * is at most 40 MB, reconstructs held-out sentences (Persuasion, never seen in training) with corpus
 * BLEU >= 45 (issue 16's bar) and retrieves them among 1000 distractors with top-1 >= 0.95; decoded with the
 * bundle's lexicon (the training novels' words) every reconstructed and generated word is one of them.
 */
class DefaultModelTest {
    private static final Path HELD_OUT = Path.of("../data/austen/persuasion.txt");

    private static Path bundle() {
        Path b = DefaultBundle.locate().orElseThrow(() -> new AssertionError("no embedded default bundle"));
        assertTrue(b.endsWith(Path.of(DefaultBundle.RESOURCE)) || b.toString().contains(".cache"), b.toString());
        return b;
    }

    @Test
    void isSmallAndComplete() throws IOException {
        Path b = bundle();
        long bytes;
        try (Stream<Path> s = Files.walk(b)) {
            bytes = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        assertTrue(bytes <= 40L * 1024 * 1024, "bundle of " + bytes + " bytes");
        try (SonarLlm llm = SonarLlm.load(b)) {
            BundleManifest m = llm.manifest();
            assertTrue(m.components().containsKey(BundleManifest.CONCEPT_LM), m.components().keySet().toString());
        }
    }

    @Test
    void reconstructsAndRetrievesHeldOutSentences() {
        SpaceEvaluator.Report r;
        try (SonarLlm llm = SonarLlm.load(bundle())) {
            r = new SpaceEvaluator(llm.encoder(), llm.decoder(), SpaceEvaluator.Options.defaults())
                    .evaluate(SpaceEvaluator.sentences(HELD_OUT, Language.ENGLISH));
        }
        assertEquals(500, r.sentences());
        double bleu = r.bleu();
        double top1 = r.retrievalTop1();
        assertTrue(bleu >= 45, "held-out reconstruction BLEU " + bleu);
        assertTrue(top1 >= 0.95, "held-out retrieval top-1 " + top1);
    }

    @Test
    void reconstructsWithTheLexiconsWordsOnly() {
        try (SonarLlm llm = SonarLlm.load(bundle())) {
            Lexicon lex = llm.lexicon().orElseThrow(() -> new AssertionError("the default bundle has a lexicon"));
            // the training novels' words: every word of Emma is one of them
            assertTrue(lex.size() > 10_000, lex.toString());
            List<String> emma = SpaceEvaluator.sentences(Path.of("../data/austen/emma.txt"), Language.ENGLISH);
            assertTrue(emma.stream().allMatch(t -> Lexicon.words(t).stream().allMatch(lex::contains)));
            SpaceEvaluator.Options o = SpaceEvaluator.Options.defaults();
            SpaceEvaluator.Report r = new SpaceEvaluator(llm.encoder(), llm.decoder(), new SpaceEvaluator.Options(100,
                    200, o.maxWords(), o.seed(), o.decoding().withLexicon(lex), o.language()))
                    .evaluate(SpaceEvaluator.sentences(HELD_OUT, Language.ENGLISH));
            for (SpaceEvaluator.Example e : r.reconstructions()) {
                assertTrue(Lexicon.words(e.reconstruction()).stream().allMatch(lex::contains), e.reconstruction());
            }
        }
    }

    @Test
    void continuesTheReadmePrompt() {
        try (SonarLlm llm = SonarLlm.loadDefault()) {
            GenerationResult r = llm.generator().generate("It is a truth universally acknowledged, that a single man in "
                    + "possession of a good fortune, must be in want of a wife.");
            assertTrue(!r.sentences().isEmpty(), "no sentence generated");
            Lexicon lex = llm.lexicon().orElseThrow();
            assertEquals(lex, llm.generator().defaultOptions().decoding().lexicon());
            for (var s : r.sentences()) {
                assertTrue(s.text().matches(".*[A-Za-z]{2,}.*"), "not English-like text: " + s.text());
                assertTrue(Lexicon.words(s.text()).stream().allMatch(lex::contains), s.text());
            }
        }
    }
}
