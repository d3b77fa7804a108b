package org.sonarllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.decode.Lexicon;
import org.sonarllm.lang.Language;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.convert.SonarConverter;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.testing.TinyA;
import org.sonarllm.training.TrainingConfig;
import org.sonarllm.training.TrainingListener;
import org.sonarllm.training.data.CorpusReader;
import org.sonarllm.training.eval.GenerationMetrics;
import org.sonarllm.training.eval.SpaceEvaluator;
import org.sonarllm.training.sonar.AutoencoderTrainer;
import org.sonarllm.training.sonar.Noise;

/** {@code train-space}, {@code eval-space} and {@code bench-train} on tiny-a. */
class SpaceCommandsTest {
    @TempDir
    Path tmp;

    private Path novel() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("corpus"));
        Files.writeString(dir.resolve("novel.txt"), "Chapter 1\n\nIt was a fine day. The sisters walked to the village.\n"
                + "They met a friend.\n\n\"Is he handsome?\" asked Kitty. Nobody answered her. The rain began.\n\n"
                + "Mr. Bennet smiled. He said nothing at all. Mrs. Bennet was vexed.\n");
        return dir;
    }

    private static List<String> lossColumn(Path metrics) throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(metrics).subList(1, Files.readAllLines(metrics).size())) {
            out.add(line.split(",")[2]);
        }
        return out;
    }

    /** The optimisation settings {@link #trainSpace}'s options stand for (defaults spelled out). */
    private static final TrainingConfig LIBRARY_TRAINING = TrainingConfig.defaults().withSteps(4).withBatchSize(4)
            .withLearningRate(3e-3, 3e-3 / 20, 1).withWeightDecay(0.01).withBetas(0.9, 0.98).withSeed(7).withCheckpointEvery(2);

    /** A 4-step train-space run on the tiny-a tokenizer, plus {@code extra} options. */
    private static MainTest.Result trainSpace(Path tok, Path corpus, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("train-space", "--tokenizer", tok.toString(), "--corpus",
                corpus.toString(), "--out", out.toString(), "--d", "16", "--heads", "2", "--ffn", "24", "--layers", "1",
                "--max-positions", "64", "--max-tokens", "30", "--steps", "4", "--interpolation-from", "3", "--batch-size",
                "4", "--lr", "3e-3", "--warmup", "1", "--seed", "7", "--checkpoint-every", "2"));
        args.addAll(List.of(extra));
        return MainTest.run("", args.toArray(String[]::new));
    }

    /** The task settings {@link #trainSpace}'s options stand for. */
    private static AutoencoderTrainer.Options libraryOptions(Path tok, Path corpus, Path out) {
        return new AutoencoderTrainer.Options(tok, corpus, out, SonarConfig.symmetric(1204, 16, 2, 24, 1, 1, 64), 30, 3,
                new Noise(0.1, 0.1, 3, 1203), 0.5, 0, Language.ENGLISH);
    }

    @Test
    void trainSpaceRunsTheLibraryTrainerWithItsOptionsAndEvalSpaceScoresTheConvertedBundle() throws Exception {
        Path corpus = novel();
        Path tok = TinyA.dir().resolve("tokenizer");
        Path out = tmp.resolve("ae");
        MainTest.Result r = trainSpace(tok, corpus, out);
        assertEquals(0, r.code(), r.err());
        JsonNode summary = r.lines().get(0);
        assertEquals(4, summary.get("steps").asLong());
        assertEquals(9, summary.get("sentences").asInt());
        assertTrue(r.err().contains("step 4/4 interp loss "), r.err());
        for (String f : List.of("encoder/model.safetensors", "decoder/config.json", "tokenizer/sentencepiece.bpe.model",
                "metrics.csv", "loss.png", "checkpoint.bin")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }

        // The same run through the library, with the settings the options stand for (defaults spelled out).
        Path lib = tmp.resolve("lib");
        new AutoencoderTrainer(libraryOptions(tok, corpus, lib), LIBRARY_TRAINING, false).train(TrainingListener.NONE);
        assertEquals(lossColumn(lib.resolve("metrics.csv")), lossColumn(out.resolve("metrics.csv")));

        Path bundle = tmp.resolve("space");
        SonarConverter.convert(out.resolve("encoder"), out.resolve("decoder"), out.resolve("tokenizer"), bundle, Map.of(),
                OnnxConceptEncoder::open);
        MainTest.Result e = MainTest.run("", "eval-space", "--model", bundle.toString(), "--corpus", corpus.toString(),
                "--sentences", "3", "--distractors", "4", "--beam", "1", "--max-tokens", "12");
        assertEquals(0, e.code(), e.err());
        JsonNode report = e.lines().get(0);
        SpaceEvaluator.Report want;
        try (SonarLlm llm = SonarLlm.load(bundle)) {
            want = new SpaceEvaluator(llm.encoder(), llm.decoder(), new SpaceEvaluator.Options(3, 4, 20, 1,
                    DecodingOptions.greedy().withMaxTokens(12), Language.ENGLISH))
                    .evaluate(SpaceEvaluator.sentences(corpus, Language.ENGLISH));
        }
        assertEquals(3, report.get("sentences").asInt());
        assertEquals(want.bleu(), report.get("bleu").asDouble(), 1e-12);
        assertEquals(want.exactMatch(), report.get("exactMatch").asDouble(), 1e-12);
        assertEquals(want.retrievalTop1(), report.get("retrievalTop1").asDouble(), 1e-12);
        assertEquals(want.examples().get(0).source(), report.get("examples").get(0).get("source").asText());
        assertFalse(report.has("commonSentences"), "non-words only with --vocabulary");

        // --vocabulary: the library's non-word count over the same reconstructions, with the corpus's own words
        // and with a vocabulary of one word
        Path one = Files.writeString(tmp.resolve("one.txt"), "the");
        for (Path v : List.of(corpus, one)) {
            MainTest.Result withVocab = MainTest.run("", "eval-space", "--model", bundle.toString(), "--corpus",
                    corpus.toString(), "--sentences", "3", "--distractors", "4", "--beam", "1", "--max-tokens", "12",
                    "--vocabulary", v.toString());
            assertEquals(0, withVocab.code(), withVocab.err());
            JsonNode nw = withVocab.lines().get(0);
            SpaceEvaluator.NonWords n = SpaceEvaluator.nonWords(want.reconstructions(), GenerationMetrics.vocabulary(
                    CorpusReader.read(v).stream().map(CorpusReader.RawDocument::text).toList()));
            assertEquals(want.bleu(), nw.get("bleu").asDouble(), 1e-12);
            assertEquals(n.commonSentences(), nw.get("commonSentences").asInt());
            assertEquals(n.withNonWords(), nw.get("commonWithNonWords").asInt());
            assertEquals(n.nonWordShare(), nw.get("commonNonWordShare").asDouble(), 1e-4);
            assertEquals(n.examples().size(), nw.get("commonNonWords").size());
            assertEquals(n.bleu(), nw.get("commonBleu").asDouble(), 1e-12);
            assertEquals(n.exactMatch(), nw.get("commonExactMatch").asDouble(), 1e-12);
        }

        // --lexicon: the library's run with the corpus's words as the lexicon; no reconstruction has a non-word
        MainTest.Result lex = MainTest.run("", "eval-space", "--model", bundle.toString(), "--corpus", corpus.toString(),
                "--sentences", "3", "--distractors", "4", "--beam", "1", "--max-tokens", "12",
                "--vocabulary", corpus.toString(), "--lexicon", corpus.toString());
        assertEquals(0, lex.code(), lex.err());
        Lexicon words = Lexicon.fromTexts(CorpusReader.read(corpus).stream().map(CorpusReader.RawDocument::text).toList());
        SpaceEvaluator.Report wantLex;
        try (SonarLlm llm = SonarLlm.load(bundle)) {
            wantLex = new SpaceEvaluator(llm.encoder(), llm.decoder(), new SpaceEvaluator.Options(3, 4, 20, 1,
                    DecodingOptions.greedy().withMaxTokens(12).withLexicon(words), Language.ENGLISH))
                    .evaluate(SpaceEvaluator.sentences(corpus, Language.ENGLISH));
        }
        assertEquals(wantLex.bleu(), lex.lines().get(0).get("bleu").asDouble(), 1e-12);
        assertEquals(0, lex.lines().get(0).get("commonWithNonWords").asInt());
        for (SpaceEvaluator.Example x : wantLex.reconstructions()) {
            assertTrue(Lexicon.words(x.reconstruction()).stream().allMatch(words::contains), x.reconstruction());
        }
        MainTest.Result noVocab = MainTest.run("", "eval-space", "--model", bundle.toString(), "--corpus",
                corpus.toString(), "--sentences", "3", "--distractors", "4", "--vocabulary", tmp.resolve("nope").toString());
        assertEquals(2, noVocab.code());
        assertEquals(List.of("error: vocabulary text not found: " + tmp.resolve("nope")), noVocab.errLines());

        MainTest.Result tooFew = MainTest.run("", "eval-space", "--model", bundle.toString(), "--corpus", corpus.toString());
        assertEquals(2, tooFew.code());
        assertEquals(List.of("error: expected at least 1500 held-out sentences of <= 20 words, found 9"), tooFew.errLines());
    }

    @Test
    void trainSpaceDropoutValidationAndPassagesAreTheLibrarysOptions() throws Exception {
        Path corpus = novel();
        Path tok = TinyA.dir().resolve("tokenizer");
        Path out = tmp.resolve("aev");
        MainTest.Result r = trainSpace(tok, corpus, out, "--dropout", "0.2", "--validation", "2", "--passage-share", "0.7");
        assertEquals(0, r.code(), r.err());
        JsonNode summary = r.lines().get(0);
        assertEquals(7, summary.get("sentences").asInt(), "9 sentences, 2 held out");

        Path lib = tmp.resolve("libv");
        double v = new AutoencoderTrainer(libraryOptions(tok, corpus, lib).withDropout(0.2).withValidationSentences(2)
                .withPassageShare(0.7),
                LIBRARY_TRAINING, false).train(TrainingListener.NONE).validationLoss();
        assertEquals(lossColumn(lib.resolve("metrics.csv")), lossColumn(out.resolve("metrics.csv")));
        assertEquals(Files.readAllLines(lib.resolve("validation.csv")), Files.readAllLines(out.resolve("validation.csv")));
        assertEquals(v, summary.get("validation_loss").asDouble(), 1e-12);
    }

    @Test
    void trainSpaceInitFromContinuesAnotherRunsSpaceAsTheLibraryDoes() throws Exception {
        Path corpus = novel();
        Path tok = TinyA.dir().resolve("tokenizer");
        Path first = tmp.resolve("first");
        assertEquals(0, trainSpace(tok, corpus, first).code());
        Path out = tmp.resolve("next");
        MainTest.Result r = MainTest.run("", "train-space", "--tokenizer", tok.toString(), "--corpus", corpus.toString(),
                "--out", out.toString(), "--init-from", first.toString(), "--max-tokens", "30", "--steps", "4",
                "--interpolation-from", "3", "--batch-size", "4", "--lr", "3e-3", "--warmup", "1", "--seed", "7",
                "--checkpoint-every", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("space: d 16, 1 + 1 layers, 2 heads, ffn 24, vocabulary 1204; 9 training sentences; "
                + "starting from " + first), r.err());
        Path lib = tmp.resolve("lib");
        new AutoencoderTrainer(libraryOptions(tok, corpus, lib).withInitFrom(first), LIBRARY_TRAINING, false)
                .train(TrainingListener.NONE);
        assertEquals(lossColumn(lib.resolve("metrics.csv")), lossColumn(out.resolve("metrics.csv")));
        assertTrue(Double.parseDouble(lossColumn(out.resolve("metrics.csv")).get(0))
                < Double.parseDouble(lossColumn(first.resolve("metrics.csv")).get(0)), "starts from trained weights");

        // --decoder-layers: a deeper decoder on top of the trained one (DecoderGrowthTest: it starts as the identity)
        MainTest.Result deeper = MainTest.run("", "train-space", "--tokenizer", tok.toString(), "--corpus", corpus.toString(),
                "--out", tmp.resolve("deeper").toString(), "--init-from", first.toString(), "--decoder-layers", "2",
                "--max-tokens", "30", "--steps", "2", "--batch-size", "4", "--warmup", "1", "--seed", "7");
        assertEquals(0, deeper.code(), deeper.err());
        assertTrue(deeper.err().contains("space: d 16, 1 + 2 layers, 2 heads"), deeper.err());
        assertTrue(Files.readString(tmp.resolve("deeper/decoder/config.json")).contains("\"decoder_layers\" : 2"));

        MainTest.Result shaped = trainSpace(tok, corpus, tmp.resolve("shaped"), "--init-from", first.toString());
        assertEquals(2, shaped.code());
        assertEquals(List.of("error: --init-from takes the shape of " + first + "; drop --d, --heads, --ffn and --layers"),
                shaped.errLines());
        MainTest.Result nothing = MainTest.run("", "train-space", "--tokenizer", tok.toString(), "--corpus", corpus.toString(),
                "--out", tmp.resolve("x").toString(), "--init-from", tmp.resolve("nope").toString());
        assertEquals(1, nothing.errLines().size(), nothing.err());
        assertTrue(nothing.errLines().get(0).contains("expected " + tmp.resolve("nope/encoder/config.json")
                + " (a space written by train-space), found none"), nothing.err());
    }

    @Test
    void evalSpaceAndEvalNextWithoutModelRunTheEmbeddedDefault() throws Exception {
        Path corpus = novel();
        String embedded = org.sonarllm.bundle.DefaultBundle.locate().orElseThrow().toString();
        for (List<String> cmd : List.of(
                List.of("eval-space", "--corpus", corpus.toString(), "--sentences", "3", "--distractors", "4", "--beam", "1"),
                List.of("eval-next", "--corpus", corpus.toString(), "--beam", "1", "--max-tokens", "16"))) {
            MainTest.Result without = MainTest.run("", cmd.toArray(String[]::new));
            List<String> with = new ArrayList<>(cmd);
            with.addAll(List.of("--model", embedded));
            MainTest.Result explicit = MainTest.run("", with.toArray(String[]::new));
            assertEquals(0, without.code(), without.err());
            assertEquals(0, explicit.code(), explicit.err());
            assertEquals(explicit.lines(), without.lines(), cmd.get(0));
        }
    }

    @Test
    void benchTrainRunsThroughTheBundlesDecoderAndDumpsWhatItTrained() throws Exception {
        Path dump = tmp.resolve("dump");
        MainTest.Result r = MainTest.run("", "bench-train", "--model", TinyABundle.get().toString(), "--shape", "8,1,2,2,4,16",
                "--batch-size", "2", "--sentences", "3", "--tokens", "4", "--steps", "3", "--threads", "1", "--dump",
                dump.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode l = r.lines().get(0);
        assertEquals("ce", l.get("objective").asText());
        assertEquals(2, l.get("batch_documents").asInt());
        assertEquals(1, l.get("workers").asInt(), "one replica per thread: --threads 1");
        assertEquals(3, l.get("losses").size());
        assertTrue(l.get("step_seconds_median").asDouble() > 0 && l.get("target_tokens_per_s").asDouble() > 0, l.toString());
        assertTrue(l.get("peak_rss_mib").asLong() > 0, l.toString());
        // the dump is what step 0 trained: the same loss from the dumped weights and documents, computed apart
        JsonNode batch = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dump.resolve("batch.json").toFile());
        List<org.sonarllm.training.model.Batch.Document> docs = new ArrayList<>();
        for (int b = 0; b < batch.get("embeddings").size(); b++) {
            docs.add(new org.sonarllm.training.model.Batch.Document(TinyA.floats2(batch.get("embeddings").get(b)),
                    ints2(batch.get("tokens").get(b))));
        }
        double want = org.sonarllm.training.eval.LossEvaluator.load(TinyABundle.get(), dump.resolve("lm"),
                org.sonarllm.training.model.Objective.CE, 2).evaluate(docs).loss();
        assertEquals(want, l.get("loss_step0").asDouble(), 1e-5 * want);
        JsonNode run = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dump.resolve("run.json").toFile());
        assertEquals("ce", run.get("objective").asText());
        assertEquals(3, run.get("steps").asInt());

        MainTest.Result mse = MainTest.run("", "bench-train", "--objective", "mse", "--dim", "16", "--shape", "8,1,2,2,4,16",
                "--batch-size", "2", "--sentences", "3", "--steps", "1");
        assertEquals(0, mse.code(), mse.err());
        // no --threads: one replica per core, at most the batch's 2 documents
        assertEquals(Math.min(2, Runtime.getRuntime().availableProcessors()), mse.lines().get(0).get("workers").asInt());
        assertEquals(0, mse.lines().get(0).get("target_tokens_per_s").asDouble(), 0);

        MainTest.Result noModel = MainTest.run("", "bench-train", "--shape", "8,1,2,2,4,16");
        assertEquals(2, noModel.code());
        assertEquals(List.of("error: --objective ce trains through a bundle's decoder: pass --model BUNDLE"),
                noModel.errLines());
        MainTest.Result both = MainTest.run("", "bench-train", "--objective", "mse", "--shape", "8,1,2,2,4,16", "--preset", "100M");
        assertEquals(2, both.code());
        assertEquals(List.of("error: expected one of --shape or --preset, found both"), both.errLines());
    }

    private static int[][] ints2(JsonNode rows) {
        int[][] out = new int[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = TinyA.ints(rows.get(i));
        }
        return out;
    }
}
