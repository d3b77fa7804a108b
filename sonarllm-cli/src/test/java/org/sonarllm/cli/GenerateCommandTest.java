package org.sonarllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.decode.Lexicon;
import org.sonarllm.onnx.convert.SonarConverter;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import org.sonarllm.testing.TinyA;

/** {@code sonarllm generate} in-process against tiny-a case g. */
class GenerateCommandTest {
    private static Path bundle;
    private static Path plainBundle;
    private static JsonNode g;

    @BeforeAll
    static void convert() throws Exception {
        Path dir = org.sonarllm.testing.TempDirs.create("cli-gen");
        Path src = TinyA.dir();
        bundle = dir.resolve("with-lm");
        // through the CLI's own converter: convert --concept-lm DIR
        MainTest.Result conv = MainTest.run("", "convert", "--encoder", src.resolve("encoder").toString(),
                "--decoder", src.resolve("decoder").toString(), "--tokenizer", src.resolve("tokenizer").toString(),
                "--concept-lm", src.resolve("sonar_llm").toString(), "--out", bundle.toString());
        assertEquals(0, conv.code(), conv.err());
        assertTrue(conv.out().contains(BundleManifest.CONCEPT_LM), conv.out());
        plainBundle = dir.resolve("plain");
        SonarConverter.convert(src.resolve("encoder"), src.resolve("decoder"), src.resolve("tokenizer"), plainBundle,
                Map.of(), OnnxConceptEncoder::open);
        g = TinyA.expected().get("g_generation");
    }

    private static String prompt() {
        List<String> p = new ArrayList<>();
        g.get("prompt").forEach(n -> p.add(n.asText()));
        return String.join(" ", p);
    }

    private static List<String> stepTexts() {
        List<String> t = new ArrayList<>();
        g.get("steps").forEach(s -> t.add(s.get("text").asText()));
        return t;
    }

    @Test
    void jsonOutputReproducesCaseG() throws Exception {
        MainTest.Result r = MainTest.run("", "generate", "--model", bundle.toString(), "--greedy", "--max-tokens", "16",
                "--max-sentences", "3", "--stop-threshold", "0.98", "--json", prompt());
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = r.lines();
        assertEquals(1, lines.size());
        JsonNode o = lines.get(0);
        assertEquals(g.get("prompt"), JsonNodeTexts.texts(o.get("prompt")));
        assertEquals("max_sentences", o.get("stop_reason").asText());
        JsonNode steps = g.get("steps");
        assertEquals(steps.size(), o.get("sentences").size());
        for (int k = 0; k < steps.size(); k++) {
            JsonNode s = o.get("sentences").get(k);
            assertEquals(steps.get(k).get("text").asText(), s.get("text").asText());
            assertArrayEquals(TinyA.ints(steps.get(k).get("generated_ids")), TinyA.ints(s.get("ids")));
            assertEquals(steps.get(k).get("cosine_reencoded_to_eos").asDouble(), s.get("eos_cosine").asDouble(), 1e-4);
            float[] e = TinyA.floats(steps.get(k).get("predicted_embedding"));
            float[] got = TinyA.floats(s.get("embedding"));
            for (int i = 0; i < e.length; i++) {
                assertEquals(e[i], got[i], 1e-4);
            }
        }
    }

    @Test
    void plainOutputStreamsOneSentencePerLineAndReadsStdin() {
        MainTest.Result r = MainTest.run(prompt() + "\n", "generate", "--model", bundle.toString(), "--greedy",
                "--max-tokens", "16", "--max-sentences", "3");
        assertEquals(0, r.code(), r.err());
        assertEquals(stepTexts(), List.of(r.out().strip().split("\n")));
        MainTest.Result variant = MainTest.run("", "generate", "--model", bundle.toString(), "--greedy", "--max-tokens",
                "16", "--max-sentences", "3", "--stop-threshold",
                g.get("threshold_variant").get("threshold").asText(), prompt());
        assertEquals(0, variant.code(), variant.err());
        assertEquals(stepTexts().subList(0, 1), List.of(variant.out().strip().split("\n")));
    }

    @Test
    void aBundlesLexiconIsTheDefaultAndTheFlagsReplaceOrDropIt() throws Exception {
        Path dir = org.sonarllm.testing.TempDirs.create("cli-gen-lex");
        Path src = TinyA.dir();
        // the words case g writes, without its first one, plus a few: the model must then write other words
        List<String> written = new ArrayList<>();
        stepTexts().forEach(t -> written.addAll(Lexicon.words(t)));
        Path text = Files.writeString(dir.resolve("words.txt"),
                String.join("\n", written.subList(1, written.size())) + "\nthe a of and to in");
        Lexicon lex = Lexicon.fromTexts(List.of(Files.readString(text)));
        Path withLex = dir.resolve("with-lexicon");
        MainTest.Result conv = MainTest.run("", "convert", "--encoder", src.resolve("encoder").toString(),
                "--decoder", src.resolve("decoder").toString(), "--tokenizer", src.resolve("tokenizer").toString(),
                "--concept-lm", src.resolve("sonar_llm").toString(), "--lexicon", text.toString(), "--out", withLex.toString());
        assertEquals(0, conv.code(), conv.err());
        assertTrue(conv.out().contains(BundleManifest.LEXICON), conv.out());
        assertEquals(lex, Lexicon.read(withLex.resolve(BundleManifest.LEXICON_FILE)));

        String[] args = {"generate", "--model", withLex.toString(), "--greedy", "--max-tokens", "16", "--max-sentences", "3",
            prompt()};
        MainTest.Result constrained = MainTest.run("", args);
        assertEquals(0, constrained.code(), constrained.err());
        List<String> out = List.of(constrained.out().strip().split("\n"));
        for (String sentence : out) {
            List<String> ws = Lexicon.words(sentence);
            // a sentence cut by --max-tokens may end inside a word; every other word is the lexicon's
            assertTrue(ws.subList(0, Math.max(0, ws.size() - 1)).stream().allMatch(lex::contains), sentence);
        }
        assertTrue(!out.equals(stepTexts()), "the first word of case g is outside the lexicon");

        List<String> more = new ArrayList<>(List.of(args));
        more.add(1, "--no-lexicon");
        MainTest.Result none = MainTest.run("", more.toArray(String[]::new));
        assertEquals(stepTexts(), List.of(none.out().strip().split("\n")), "--no-lexicon: case g as without a lexicon");

        // every letter run case g writes (also those before a number, as in "go3": the search cannot know a number
        // will follow, so their letters must begin a word of the lexicon too)
        Path all = Files.writeString(dir.resolve("all.txt"), String.join(" ", stepTexts()).replaceAll("[^\\p{L}]+", " "));
        more.set(1, "--lexicon=" + all);
        MainTest.Result replaced = MainTest.run("", more.toArray(String[]::new));
        assertEquals(stepTexts(), List.of(replaced.out().strip().split("\n")),
                "--lexicon with every word case g writes: case g unchanged");

        more.add(1, "--no-lexicon");
        MainTest.Result both = MainTest.run("", more.toArray(String[]::new));
        assertEquals(2, both.code(), both.err());
        MainTest.Result missing = MainTest.run("", "generate", "--model", withLex.toString(), "--lexicon",
                dir.resolve("nope").toString(), "Hi.");
        assertEquals(2, missing.code());
        assertEquals(List.of("error: lexicon text not found: " + dir.resolve("nope")), missing.errLines());
        Path numbers = Files.writeString(dir.resolve("numbers.txt"), "1815 -- 1816\n");
        MainTest.Result noWord = MainTest.run("", "generate", "--model", withLex.toString(), "--lexicon", numbers.toString(),
                "Hi.");
        assertEquals(2, noWord.code());
        assertEquals(List.of("error: lexicon text has no word: " + numbers), noWord.errLines());
    }

    @Test
    void withoutModelTheEmbeddedDefaultBundleIsUsed() {
        // The default bundle ships in this module's resources (sonarllm/default-bundle); without --model the
        // command must run exactly what it runs with that bundle named explicitly.
        java.nio.file.Path embedded = org.sonarllm.bundle.DefaultBundle.locate().orElseThrow();
        String prompt = "It is a truth universally acknowledged, that a single man in possession of a good fortune, "
                + "must be in want of a wife.";
        MainTest.Result implicit = MainTest.run("", "generate", "--greedy", "--max-sentences", "2", prompt);
        MainTest.Result explicit = MainTest.run("", "generate", "--model", embedded.toString(), "--greedy",
                "--max-sentences", "2", prompt);
        assertEquals(0, implicit.code(), implicit.err());
        assertEquals(explicit.out(), implicit.out());
        assertTrue(implicit.out().strip().length() > 0, "no sentence generated");
    }

    @Test
    void badInputGivesOneLineErrors() {
        String m = bundle.toString();
        MainTest.Result t = MainTest.run("", "generate", "--model", m, "--stop-threshold", "1.5", "Hi.");
        assertEquals(2, t.code());
        assertEquals(List.of("error: cosine threshold must be in [-1, 1], got 1.5"), t.errLines());
        assertEquals(2, MainTest.run("", "generate", "--model", m, "--max-sentences", "0", "Hi.").code());
        assertEquals(2, MainTest.run("", "generate", "--model", m, "--max-tokens", "-3", "Hi.").code());
        assertEquals(2, MainTest.run("", "generate", "--model", m, "--context-limit", "-1", "Hi.").code());
        MainTest.Result blank = MainTest.run("  \n", "generate", "--model", m);
        assertEquals(2, blank.code());
        assertEquals(1, blank.errLines().size(), blank.err());
        MainTest.Result ctx = MainTest.run("", "generate", "--model", m, "--context-limit", "2",
                "It rained. We stayed in. The end came.");
        assertEquals(2, ctx.code());
        assertTrue(ctx.err().contains("3 sentences"), ctx.err());
        assertEquals(2, MainTest.run("", "generate", "--model", m, "--greedy", "--beam", "2", "Hi.").code());
        MainTest.Result noLm = MainTest.run("", "generate", "--model", plainBundle.toString(), "Hi.");
        assertEquals(1, noLm.code());
        assertTrue(noLm.err().startsWith("error: ") && noLm.err().contains("concept_lm"), noLm.err());
        assertEquals(2, MainTest.run("", "generate", "--model", "/nonexistent/bundle", "Hi.").code());
        assertEquals(2, MainTest.run("", "convert", "--encoder", "e", "--decoder", "d", "--tokenizer", "t",
                "--concept-lm", "/nonexistent/sonar_llm", "--out", "/tmp/never-written").code());
    }

    /** Helper: a JSON array of {"text": ...} objects to a JSON array of texts. */
    static final class JsonNodeTexts {
        static JsonNode texts(JsonNode arr) {
            var out = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
            arr.forEach(n -> out.add(n.get("text").asText()));
            return out;
        }
    }
}
