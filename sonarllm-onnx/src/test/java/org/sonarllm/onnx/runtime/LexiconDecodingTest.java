package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.ModelFormatException;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.bundle.BundleWriter;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.decode.Lexicon;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.convert.ConceptLmConverter;
import org.sonarllm.onnx.convert.SonarConverter;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.testing.TinyA;

/**
 * Lexicon-constrained decoding through tiny-a's real decoder, and the bundle's {@code lexicon} component: a lexicon
 * holding every word the unconstrained greedy search writes changes nothing; one without some of them keeps every
 * search to the rest; the converter writes the component and the generator decodes with it by default.
 */
class LexiconDecodingTest {
    static SonarLlm llm;
    static List<float[]> vectors;

    @BeforeAll
    static void load() {
        llm = SonarLlm.load(TinyABundle.get());
        vectors = llm.encoder().encode(List.of("The weather is lovely today.", "Where is the station?",
                "She walked out alone in the morning.", "A quiet evening."), Language.ENGLISH);
    }

    @AfterAll
    static void close() {
        llm.close();
    }

    static Set<String> words(List<DecodedSentence> out) {
        Set<String> w = new LinkedHashSet<>();
        out.forEach(s -> w.addAll(Lexicon.words(s.text())));
        return w;
    }

    @Test
    void aLexiconOfTheGreedyOutputsOwnWordsChangesNothing() {
        DecodingOptions greedy = DecodingOptions.greedy().withMaxTokens(20);
        List<DecodedSentence> plain = llm.decoder().decode(vectors, Language.ENGLISH, greedy);
        // every letter run, also those before a number ("go3": the search cannot know a number will follow)
        Lexicon w = Lexicon.fromTexts(plain.stream().map(s -> s.text().replaceAll("[^\\p{L}]+", " ")).toList());
        List<DecodedSentence> same = llm.decoder().decode(vectors, Language.ENGLISH, greedy.withLexicon(w));
        for (int i = 0; i < plain.size(); i++) {
            // cut sentences (20 tokens) may end inside a word, which the limit allows as without a lexicon
            assertArrayEquals(plain.get(i).ids(), same.get(i).ids(), plain.get(i).text());
            assertEquals(plain.get(i).score(), same.get(i).score(), 1e-6);
        }
    }

    @Test
    void everySearchKeepsToTheLexiconWhenTheModelPrefersOtherWords() {
        DecodingOptions beam = DecodingOptions.beam(4).withMaxTokens(24);
        List<DecodedSentence> plain = llm.decoder().decode(vectors, Language.ENGLISH, beam);
        List<String> w = new ArrayList<>(words(plain));
        assertTrue(w.size() >= 2, "need two words to drop one: " + w);
        // every word but the first one beam search wrote, plus common English words
        Set<String> kept = new LinkedHashSet<>(w.subList(1, w.size()));
        kept.addAll(List.of("the", "a", "is", "she", "in", "of", "and", "to", "it", "he", "was"));
        kept.remove(w.get(0));
        Lexicon lex = Lexicon.of(kept);
        for (DecodingOptions o : List.of(beam, DecodingOptions.greedy().withMaxTokens(24),
                DecodingOptions.sampling(1.0, 0, 1.0, 7).withMaxTokens(24))) {
            List<DecodedSentence> out = llm.decoder().decode(vectors, Language.ENGLISH, o.withLexicon(lex));
            for (DecodedSentence s : out) {
                // a sentence cut by the token limit may end inside a word (the limit allows it, as without a lexicon)
                List<String> ws = Lexicon.words(s.text());
                List<String> whole = s.ids().length >= 24 && !ws.isEmpty() ? ws.subList(0, ws.size() - 1) : ws;
                assertTrue(whole.stream().allMatch(lex::contains), o.strategy() + ": " + s.text());
            }
        }
        List<DecodedSentence> constrained = llm.decoder().decode(vectors, Language.ENGLISH, beam.withLexicon(lex));
        assertNotEquals(plain.stream().map(DecodedSentence::text).toList(),
                constrained.stream().map(DecodedSentence::text).toList(), "the dropped word was written before");
    }

    @Test
    void theConverterWritesTheLexiconAndTheGeneratorUsesIt(@TempDir Path tmp) throws Exception {
        Path src = TinyA.dir();
        Lexicon lex = Lexicon.of(List.of("the", "weather", "is", "lovely"));
        Path out = tmp.resolve("bundle");
        SonarConverter.convert(src.resolve("encoder"), src.resolve("decoder"), src.resolve("tokenizer"), out,
                Map.of(BundleManifest.CONCEPT_LM, ConceptLmConverter.componentWriter(src.resolve("sonar_llm"), 0),
                        BundleManifest.LEXICON, SonarConverter.lexicon(lex)),
                OnnxConceptEncoder::open);
        assertEquals(List.of("is", "lovely", "the", "weather"), Files.readAllLines(out.resolve(BundleManifest.LEXICON_FILE)));
        try (SonarLlm m = SonarLlm.load(out); SonarLlm plain = SonarLlm.load(TinyABundle.withConceptLm())) {
            assertEquals(lex, m.lexicon().orElseThrow());
            assertEquals(lex, m.generator().defaultOptions().decoding().lexicon());
            assertTrue(plain.lexicon().isEmpty());
            assertEquals(null, plain.generator().defaultOptions().decoding().lexicon());
        }

        // a lexicon file that is not a word list fails the load, naming the line
        Files.writeString(out.resolve(BundleManifest.LEXICON_FILE), "the\nnot a word\n");
        BundleWriter.addComponent(out, BundleManifest.LEXICON, List.of(out.resolve(BundleManifest.LEXICON_FILE)), Map.of());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SonarLlm.load(out));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }
}
