package org.sonarllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.onnx.convert.ConceptLmConverter;
import org.sonarllm.onnx.convert.SonarConverter;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import org.sonarllm.testing.TinyA;
import org.sonarllm.training.eval.LossEvaluator;
import org.sonarllm.training.model.Batch;
import org.sonarllm.training.model.Objective;

/** {@code train} and {@code eval-loss} on the tiny-a bundle. */
class TrainCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path bundle;

    @TempDir
    Path tmp;

    @BeforeAll
    static void convert() throws IOException {
        bundle = org.sonarllm.testing.TempDirs.create("train-cli").resolve("bundle");
        Path a = TinyA.dir();
        SonarConverter.convert(a.resolve("encoder"), a.resolve("decoder"), a.resolve("tokenizer"), bundle, Map.of(), OnnxConceptEncoder::open);
    }

    record Result(int code, String out, String err) {}

    static Result run(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), out, err);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Case h documents without their end-of-sequence sentence (eval-loss appends it). */
    static String caseHDocuments() {
        StringBuilder sb = new StringBuilder();
        for (JsonNode doc : TinyA.expected().get("h_loss").get("documents")) {
            var s = JSON.createObjectNode();
            var arr = s.putArray("sentences");
            for (int i = 0; i < doc.size() - 1; i++) {
                arr.add(doc.get(i).asText());
            }
            sb.append(s).append('\n');
        }
        return sb.toString();
    }

    @Test
    void evalLossReproducesCaseHFromText() throws IOException {
        JsonNode h = TinyA.expected().get("h_loss");
        Path lm = TinyA.dir().resolve("sonar_llm");
        Result ce = run(caseHDocuments(), "eval-loss", "--model", bundle.toString(), "--lm", lm.toString(), "--objective", "ce");
        assertEquals(0, ce.code(), ce.err());
        JsonNode r = JSON.readTree(ce.out());
        double want = h.get("ce_loss").asDouble();
        assertEquals(want, r.get("loss").asDouble(), 1e-4 * want);
        assertEquals(h.get("total_target_tokens").asLong(), r.get("tokens").asLong());

        Result mse = run(caseHDocuments(), "eval-loss", "--model", bundle.toString(), "--lm", lm.toString(), "--objective", "mse");
        assertEquals(0, mse.code(), mse.err());
        assertEquals(h.get("mse_loss").asDouble(), JSON.readTree(mse.out()).get("loss").asDouble(), 1e-5);

        Result bad = run("{\"text\": 3}\n", "eval-loss", "--model", bundle.toString(), "--lm", lm.toString(), "--objective", "mse");
        assertEquals(2, bad.code());
        assertTrue(bad.err().startsWith("error: stdin line 1"), bad.err());
        Result badObj = run("", "eval-loss", "--model", bundle.toString(), "--lm", lm.toString(), "--objective", "kl");
        assertEquals(2, badObj.code());
        assertTrue(badObj.err().contains("expected objective ce or mse, found kl"), badObj.err());
        Result gone = run(caseHDocuments(), "eval-loss", "--model", bundle.toString(), "--lm", lm.toString(),
                "--decoder-weights", TinyA.dir().resolve("decoder").toString());
        assertEquals(2, gone.code(), "training has one frozen decoder, the bundle's: " + gone.err());
        assertTrue(gone.err().startsWith("error: Unknown options: '--decoder-weights'"), gone.err());
    }

    @Test
    void evalLossAppendsTheBundlesEndOfSequenceWithAnEnglishTargetInAnyCorpusLanguage() throws IOException {
        Language fra = Language.of("fra_Latn");
        Path lm = TinyA.dir().resolve("sonar_llm");
        Result r = run(caseHDocuments(), "eval-loss", "--model", bundle.toString(), "--lm", lm.toString(), "--lang", "fra_Latn");
        assertEquals(0, r.code(), r.err());
        double got = JSON.readTree(r.out()).get("loss").asDouble();
        // The same documents built here by hand: sentences encoded and tokenized in French, then the manifest's
        // end-of-sequence vector with the tokens of its text in English (or, to show the test tells them apart, French).
        LossEvaluator eval = LossEvaluator.load(bundle, lm, Objective.CE, 8);
        try (SonarLlm llm = SonarLlm.load(bundle)) {
            String eosText = llm.manifest().eosText();
            double english = eval.evaluate(caseHByHand(llm, fra, eosTokens(llm, eosText, Language.ENGLISH))).loss();
            double french = eval.evaluate(caseHByHand(llm, fra, eosTokens(llm, eosText, fra))).loss();
            assertEquals(english, got, 1e-6 * english);
            assertTrue(Math.abs(french - got) > 1e-4 * english, "French eos target " + french + " vs " + got);
        }
    }

    private static int[] eosTokens(SonarLlm llm, String text, Language lang) {
        int[] t = llm.tokenizer().decoderTarget(text, lang);
        return java.util.Arrays.copyOf(t, t.length - 1);
    }

    private static List<Batch.Document> caseHByHand(SonarLlm llm, Language lang, int[] eosTokens) {
        List<Batch.Document> docs = new ArrayList<>();
        for (JsonNode doc : TinyA.expected().get("h_loss").get("documents")) {
            int n = doc.size() - 1;
            float[][] e = new float[n + 1][];
            int[][] t = new int[n + 1][];
            for (int i = 0; i < n; i++) {
                e[i] = llm.encoder().encode(doc.get(i).asText(), lang);
                t[i] = eosTokens(llm, doc.get(i).asText(), lang);
            }
            e[n] = llm.manifest().eosEmbedding();
            t[n] = eosTokens;
            docs.add(new Batch.Document(e, t));
        }
        return docs;
    }

    @Test
    void trainWritesABundleThatEvalLossReads() throws IOException {
        Path corpus = tmp.resolve("corpus.jsonl");
        Files.writeString(corpus, caseHDocuments());
        Path out = tmp.resolve("out");
        Result r = run("", "train", "--model", bundle.toString(), "--corpus", corpus.toString(), "--out", out.toString(),
                "--init", TinyA.dir().resolve("sonar_llm").toString(),
                "--steps", "2", "--batch-size", "2", "--lr", "1e-4", "--warmup", "0", "--validation", "0",
                "--prediction-noise", "0.2");
        assertEquals(0, r.code(), r.err());
        JsonNode summary = JSON.readTree(r.out());
        assertEquals(2, summary.get("steps").asLong());
        assertTrue(Files.exists(out.resolve("concept-lm.onnx")));
        assertTrue(r.err().contains("step 2/2 train loss "), r.err());
        Path work = Path.of(summary.get("work").asText());
        assertTrue(Files.exists(work.resolve("metrics.csv")) && Files.exists(work.resolve("loss.png")));

        Result ev = run(caseHDocuments(), "eval-loss", "--model", out.toString());
        assertEquals(0, ev.code(), ev.err());
        double after = JSON.readTree(ev.out()).get("loss").asDouble();
        assertTrue(after < TinyA.expected().get("h_loss").get("ce_loss").asDouble(), "loss after 2 steps " + after);

        // the noise is part of the run: a resume with another one is refused naming it
        Result other = run("", "train", "--model", bundle.toString(), "--corpus", corpus.toString(), "--out", out.toString(),
                "--init", TinyA.dir().resolve("sonar_llm").toString(), "--steps", "3", "--batch-size", "2", "--lr", "1e-4",
                "--warmup", "0", "--validation", "0", "--prediction-noise", "0.3", "--resume");
        assertEquals(1, other.code(), other.err());
        assertTrue(other.err().contains("checkpoint.bin: expected prediction noise 0.2, found 0.3"), other.err());
        Result mseNoise = run("", "train", "--model", bundle.toString(), "--corpus", corpus.toString(), "--out",
                tmp.resolve("o4").toString(), "--objective", "mse", "--prediction-noise", "0.3");
        assertEquals(2, mseNoise.code());
        assertTrue(mseNoise.err().contains("expected the ce objective with anchor weights (MSE 0.0, norm 0.0, prediction "
                + "noise 0.3, entropy 0.0), found mse"), mseNoise.err());

        Result gone = run("", "train", "--model", bundle.toString(), "--corpus", corpus.toString(), "--out",
                tmp.resolve("o3").toString(), "--decoder-weights", TinyA.dir().resolve("decoder").toString());
        assertEquals(2, gone.code());
        assertTrue(gone.err().startsWith("error: Unknown options: '--decoder-weights'"), gone.err());

        Result missing = run("", "train", "--model", bundle.toString(), "--corpus", tmp.resolve("nope").toString(),
                "--out", tmp.resolve("o2").toString(), "--objective", "mse", "--steps", "1");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("expected a corpus file or directory"), missing.err());
    }

    @Test
    @SuppressWarnings("unchecked")
    void patienceKeepsTheBestEpochAndStopDefaultsReachTheExportedBundle() throws Exception {
        StringBuilder corpus = new StringBuilder();
        String[] names = {"Anne", "Mary", "Louisa", "Henrietta", "Elizabeth", "Charles", "Walter", "Frederick"};
        for (int i = 0; i < 24; i++) {
            corpus.append(names[i % names.length]).append(" walked to the ").append(i % 3 == 0 ? "garden" : "village")
                    .append(". The weather was fine on day ").append(i).append(". Nobody said a word.\n\n");
        }
        Path text = Files.writeString(tmp.resolve("days.txt"), corpus.toString());
        Path out = tmp.resolve("best");
        Result r = run("", "train", "--model", bundle.toString(), "--corpus", text.toString(), "--out", out.toString(),
                "--objective", "mse", "--shape", "16,1,2,1,8,24", "--steps", "40", "--batch-size", "4", "--lr", "3e-3",
                "--warmup", "0", "--validation", "0.25", "--patience", "1", "--repetition", "drop_and_stop",
                "--repetition-threshold", "0.85", "--repetition-overlap", "0.5");
        assertEquals(0, r.code(), r.err());
        JsonNode summary = JSON.readTree(r.out());
        Path work = Path.of(summary.get("work").asText());
        List<String> validation = Files.readAllLines(work.resolve("validation.csv"));
        double min = validation.stream().skip(1).mapToDouble(l -> Double.parseDouble(l.split(",")[2])).min().orElseThrow();
        assertEquals(min, summary.get("best_validation_loss").asDouble(), 1e-6 * min, validation.toString());
        assertTrue(Files.exists(work.resolve("best.bin")));

        Map<String, Object> generation = (Map<String, Object>) org.sonarllm.bundle.Bundle.readManifest(out).components()
                .get(BundleManifest.CONCEPT_LM).properties().get("generation");
        assertEquals("drop_and_stop", generation.get("repetition"));
        assertEquals(0.85, ((Number) generation.get("repetitionThreshold")).doubleValue(), 1e-12);
        try (SonarLlm llm = SonarLlm.load(out)) {
            var rules = (org.sonarllm.generate.StopRules) llm.generator().defaultOptions().stopCriterion();
            assertEquals(org.sonarllm.generate.StopRules.RepetitionAction.DROP_AND_STOP, rules.repetition());
            assertEquals(0.85, rules.repetitionThreshold(), 1e-12);
            assertEquals(0.5, rules.repetitionOverlap(), 1e-12);
        }
        assertEquals(0.5, ((Number) generation.get("repetitionOverlap")).doubleValue(), 1e-12);
        Result bad = run("", "train", "--model", bundle.toString(), "--corpus", text.toString(), "--out",
                tmp.resolve("bad").toString(), "--objective", "mse", "--steps", "1", "--repetition", "sometimes");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("expected --repetition off, keep_and_stop or drop_and_stop, found sometimes"), bad.err());
    }

    /**
     * A bundle converted with a concept LM (the authors' checkpoint.pt here) is complete: eval-loss reads its
     * concept LM without --lm and reproduces case h; train --init-from starts from it; the trained bundle
     * stores the concept LM once (concept-lm.safetensors, no second copy) and eval-loss reads that too.
     */
    @Test
    void aConvertedBundleWithAConceptLmServesTrainingAndEvaluation() throws Exception {
        Path converted = tmp.resolve("converted");
        Path a = TinyA.dir();
        Path authors = Files.createDirectories(tmp.resolve("authors")); // sonarllm-onnx's fixture, as downloaded
        for (String f : List.of("checkpoint.pt", "SonarLLM_tiny.json")) {
            try (var in = getClass().getResourceAsStream("/torch/authors/" + f)) {
                Files.copy(in, authors.resolve(f));
            }
        }
        SonarConverter.convert(a.resolve("encoder"), a.resolve("decoder"), a.resolve("tokenizer"), converted,
                Map.of(BundleManifest.CONCEPT_LM, ConceptLmConverter.componentWriter(authors, 0)), OnnxConceptEncoder::open);
        JsonNode h = TinyA.expected().get("h_loss");
        Result ce = run(caseHDocuments(), "eval-loss", "--model", converted.toString());
        assertEquals(0, ce.code(), ce.err());
        double want = h.get("ce_loss").asDouble();
        assertEquals(want, JSON.readTree(ce.out()).get("loss").asDouble(), 1e-4 * want);
        Result mse = run(caseHDocuments(), "eval-loss", "--model", converted.toString(), "--objective", "mse");
        assertEquals(h.get("mse_loss").asDouble(), JSON.readTree(mse.out()).get("loss").asDouble(), 1e-5);

        Path corpus = tmp.resolve("corpus.jsonl");
        Files.writeString(corpus, caseHDocuments());
        Path out = tmp.resolve("tuned");
        Result r = run("", "train", "--model", converted.toString(), "--init-from", converted.toString(), "--corpus",
                corpus.toString(), "--out", out.toString(), "--steps", "2", "--batch-size", "2", "--lr", "1e-4",
                "--warmup", "0", "--validation", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("concept LM: sonar dim 64, hidden 96, layers 2, heads 4 (kv 4) x 24, ffn 192"), r.err());
        assertTrue(Files.exists(out.resolve("concept-lm.safetensors")));
        assertTrue(!Files.exists(out.resolve("concept_lm_checkpoint")), "the concept LM is stored once");
        Result after = run(caseHDocuments(), "eval-loss", "--model", out.toString());
        assertEquals(0, after.code(), after.err());
        assertTrue(JSON.readTree(after.out()).get("loss").asDouble() < want, after.out());

        Result none = run("", "train", "--model", bundle.toString(), "--init-from", bundle.toString(), "--corpus",
                corpus.toString(), "--out", tmp.resolve("o4").toString(), "--steps", "1");
        assertEquals(1, none.code(), "a model-format error");
        assertTrue(none.err().contains(bundle + ": expected a concept LM with its weights"), none.err());
        Result both = run("", "train", "--model", bundle.toString(), "--init-from", converted.toString(), "--init",
                a.resolve("sonar_llm").toString(), "--corpus", corpus.toString(), "--out", tmp.resolve("o5").toString());
        assertEquals(2, both.code());
        assertTrue(both.err().contains("--init-from cannot be combined with --init, --shape or --preset"), both.err());
    }

    @Test
    void presetReachesTheModelConfig() throws IOException {
        Path corpus = tmp.resolve("corpus.jsonl");
        Files.writeString(corpus, caseHDocuments());
        String[] base = {"train", "--model", bundle.toString(), "--corpus", corpus.toString(), "--out", tmp.resolve("o").toString(),
            "--objective", "mse", "--steps", "1"};
        // The 100M shape (SonarLLM_100M.json) is for real SONAR (1024); tiny-a's bundle is 64-dimensional.
        Result r = run("", concat(base, "--preset", "100m"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("concept LM: sonar dim 1024, hidden 512, layers 8, heads 16 (kv 16) x 32, ffn 2048: 34613248 parameters"),
                r.err());
        assertTrue(r.err().contains("expected a concept LM of dimension 64 for this bundle, found 1024"), r.err());

        Result unknown = run("", concat(base, "--preset", "2B"));
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("expected a concept LM preset among [100M, 300M, 600M, 900M], found 2B"), unknown.err());

        Result both = run("", concat(base, "--preset", "300M", "--shape", "8,1,2,2,4,16"));
        assertEquals(2, both.code());
        assertTrue(both.err().contains("--preset cannot be combined with --init or --shape"), both.err());
    }

    /**
     * Issue 15 through the command: a finished run resumed prints the same summary (not NaN) and changes
     * nothing; a run folder without --resume is refused naming --resume and --force, --force starts over; a
     * changed word in the corpus is named on resume.
     */
    @Test
    void resumeForceAndTheRunFolder() throws IOException {
        Path corpus = tmp.resolve("corpus.jsonl");
        Files.writeString(corpus, caseHDocuments());
        Path out = tmp.resolve("out");
        String[] args = {"train", "--model", bundle.toString(), "--corpus", corpus.toString(), "--out", out.toString(),
            "--init", TinyA.dir().resolve("sonar_llm").toString(), "--objective", "mse", "--steps", "3", "--batch-size", "2",
            "--lr", "1e-3", "--warmup", "0", "--validation", "0.3", "--checkpoint-every", "1"};
        Result first = run("", args);
        assertEquals(0, first.code(), first.err());
        JsonNode summary = JSON.readTree(first.out());
        assertTrue(summary.get("loss").isNumber(), first.out());
        Path work = Path.of(summary.get("work").asText());
        List<String> metrics = Files.readAllLines(work.resolve("metrics.csv"));
        List<String> validation = Files.readAllLines(work.resolve("validation.csv"));
        for (int i = 0; i < 2; i++) {
            Result again = run("", concat(args, "--resume"));
            assertEquals(0, again.code(), again.err());
            assertEquals(summary, JSON.readTree(again.out()), "the same final metrics");
            assertEquals(metrics, Files.readAllLines(work.resolve("metrics.csv")));
            assertEquals(validation, Files.readAllLines(work.resolve("validation.csv")), "no duplicated row");
            org.sonarllm.bundle.Bundle.open(out);
        }
        Result refused = run("", args);
        assertEquals(2, refused.code(), refused.err());
        assertEquals("error: expected a work directory without a run, found a run in " + work + ": continue it with "
                + "--resume (resume(true)) or start over with --force (force(true))\n", refused.err());
        assertEquals(metrics, Files.readAllLines(work.resolve("metrics.csv")));

        String changedText = caseHDocuments().replaceFirst("\\[\"\\w+", "[\"Otherword");
        assertTrue(!changedText.equals(caseHDocuments()), changedText);
        Files.writeString(corpus, changedText);
        Result changed = run("", concat(args, "--resume"));
        assertEquals(1, changed.code(), changed.err());
        String error = changed.err().lines().filter(l -> l.startsWith("error: ")).findFirst().orElse(changed.err());
        assertTrue(error.matches("error: mismatched checkpoint " + java.util.regex.Pattern.quote(
                work.resolve("checkpoint.bin").toString()) + ": expected data sha256:[0-9a-f]{64}, found sha256:[0-9a-f]{64}"),
                changed.err());
        Files.writeString(corpus, caseHDocuments());
        Result forced = run("", concat(args, "--force"));
        assertEquals(0, forced.code(), forced.err());
        assertEquals(3, JSON.readTree(forced.out()).get("steps").asLong());
        assertEquals(metrics.size(), Files.readAllLines(work.resolve("metrics.csv")).size(), "started over");
    }

    /**
     * Bad input fails with one line before the bundle is loaded or its decoder imported: the bundle here has a
     * broken decoder_training.onnx (and hashes that no longer match), so any import would fail otherwise.
     */
    @Test
    void badInputFailsBeforeTheDecoderImport() throws IOException {
        Path broken = tmp.resolve("broken");
        try (var s = Files.walk(bundle)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path t = broken.resolve(bundle.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        Files.writeString(broken.resolve("decoder_training.onnx"), "not a graph");
        Path corpus = tmp.resolve("corpus.jsonl");
        Files.writeString(corpus, caseHDocuments());
        String[] base = {"train", "--model", broken.toString(), "--out", tmp.resolve("o").toString(), "--steps", "1"};
        Result missing = run("", concat(base, "--corpus", tmp.resolve("nope").toString()));
        assertEquals(2, missing.code());
        assertEquals("error: expected a corpus file or directory, found nothing at " + tmp.resolve("nope") + "\n", missing.err());
        String[][] ranges = {
            {"--validation", "NaN", "expected a validation share in [0, 1), found NaN"},
            {"--validation", "1.5", "expected a validation share in [0, 1), found 1.5"},
            {"--min-lr", "1e-3", "expected a minimum learning rate in 0..3e-4 (the learning rate), found 0.001"},
            {"--clip", "0", "expected a gradient clip norm > 0 (Infinity for no clipping), found 0"},
            {"--max-sentences", "1", "expected max sentences >= 2 (one sentence plus the end of sequence), found 1"},
            {"--shape", "100000,100,8,8,64,1536", "expected a concept LM that fits in memory: shape 100000,100,8,8,64,1536"},
        };
        for (String[] r : ranges) {
            Result bad = run("", concat(base, "--corpus", corpus.toString(), r[0], r[1]));
            assertEquals(2, bad.code(), bad.err());
            List<String> errors = bad.err().lines().filter(l -> l.startsWith("error: ")).toList();
            assertEquals(1, errors.size(), bad.err());
            assertTrue(errors.get(0).startsWith("error: " + r[2]), bad.err());
        }
        Result both = run("", concat(base, "--corpus", corpus.toString(), "--dataset", tmp.toString()));
        assertEquals(2, both.code());
        assertTrue(both.err().contains("expected exactly one of --corpus and --dataset, found both"), both.err());

        Result blank = run("{\"sentences\": [\"It rained.\", \"  \"]}\n", "eval-loss", "--model", broken.toString());
        assertEquals(2, blank.code(), blank.err());
        assertEquals("error: stdin line 1: expected non-blank sentences, found a blank sentence at index 1\n", blank.err());
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
