package org.sonarllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.convert.ConceptLmConverter;
import org.sonarllm.onnx.convert.SonarConverter;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.predict.ConceptLMSession;
import org.sonarllm.testing.TinyA;
import org.sonarllm.training.eval.NextSentenceEvaluator;
import org.sonarllm.training.model.ImportedSonarDecoder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.sonarllm.training.eval.TextMetrics;

/**
 * {@code sonarllm eval-next} on tiny-a with its concept LM: the printed metrics equal {@link TextMetrics}
 * and cosines recomputed here, pair by pair, from the public API (one session per prediction context,
 * one decode call per prediction).
 */
class EvalNextCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Language EN = Language.ENGLISH;
    private static final List<String> HOUSE = List.of("The house stood on a hill.", "Its windows were dark.",
            "Nobody had lived there for years.", "A dog barked somewhere.");
    private static final List<String> ROAD = List.of("It was a cold morning.", "The road was empty.", "She walked to town.");

    private static final int BEAM_TOKENS = 16;
    private static Path bundle;
    private static Path corpus;
    /** The documents of {@link #corpus} in reading order, with the sentences the segmenter must find. */
    private static List<List<String>> docs;

    @BeforeAll
    static void setUp() throws Exception {
        Path dir = org.sonarllm.testing.TempDirs.create("cli-eval-next");
        Path src = TinyA.dir();
        bundle = dir.resolve("bundle");
        SonarConverter.convert(src.resolve("encoder"), src.resolve("decoder"), src.resolve("tokenizer"), bundle,
                Map.of(BundleManifest.CONCEPT_LM, ConceptLmConverter.componentWriter(src.resolve("sonar_llm"), 0)),
                OnnxConceptEncoder::open);
        // the model's own continuation of a first sentence becomes that document's second sentence,
        // so at least one pair matches exactly and BLEU / ROUGE-L are not trivially 0
        String first = null;
        String cont = null;
        try (SonarLlm llm = SonarLlm.load(bundle)) {
            for (String f : List.of("Anne smiled at her sister.", "The captain came home.", "It rained all day in Bath.",
                    "Mary was ill again.", "They walked along the sea.", "A letter arrived that evening.")) {
                String c = predictAndDecode(llm, List.of(f), 1, DecodingOptions.beam(5).withMaxTokens(BEAM_TOKENS)).text().strip();
                if (TextMetrics.tokens(c).size() >= 4 && TextMetrics.words(c) >= 2) {
                    first = f;
                    cont = c;
                    break;
                }
            }
        }
        assertTrue(first != null, "a first sentence whose continuation has >= 4 tokens and >= 2 words");
        corpus = dir.resolve("corpus");
        Files.createDirectories(corpus);
        // a.txt: paragraph 1 wraps a line inside a sentence; paragraph 2 (one sentence) is skipped
        Files.writeString(corpus.resolve("a.txt"), "It was a cold morning. The road\nwas empty. She walked to town.\n\n"
                + "Hello.\n\n" + String.join(" ", HOUSE) + "\n", StandardCharsets.UTF_8);
        Files.writeString(corpus.resolve("b.jsonl"), JSON.writeValueAsString(Map.of("sentences", List.of(first, cont))) + "\n"
                + JSON.writeValueAsString(Map.of("sentences", List.of(first, cont, "The end came soon."))) + "\n",
                StandardCharsets.UTF_8);
        docs = List.of(ROAD, HOUSE, List.of(first, cont), List.of(first, cont, "The end came soon."));
    }

    /** Sentences 0..k-1 (the last {@code window}) into a fresh session, prediction decoded alone. */
    private static org.sonarllm.decode.DecodedSentence predictAndDecode(SonarLlm llm, List<String> context, int window,
            DecodingOptions o) {
        return llm.decoder().decode(predict(llm, context, window), EN, o);
    }

    private static float[] predict(SonarLlm llm, List<String> context, int window) {
        List<String> c = context.subList(Math.max(0, context.size() - window), context.size());
        try (ConceptLMSession s = llm.conceptLm().newSession()) {
            for (String x : c) {
                s.append(llm.encoder().encode(List.of(x), EN).get(0));
            }
            return s.predictNext();
        }
    }

    private static double cosineDot(float[] a, float[] b) {
        double dot = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * (double) b[i];
        }
        return dot;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * (double) b[i];
            na += a[i] * (double) a[i];
            nb += b[i] * (double) b[i];
        }
        return dot / Math.sqrt(na) / Math.sqrt(nb);
    }

    /** hypotheses, references, cosines recomputed through the API. */
    private record Expected(List<String> hyps, List<String> refs, List<Double> cos, List<float[]> preds,
            List<float[]> targets) {
        double meanNearest() {
            double sum = 0;
            for (float[] p : preds) {
                double best = -2;
                for (float[] t : targets) {
                    best = Math.max(best, cosine(p, t));
                }
                sum += best;
            }
            return sum / preds.size();
        }

        static double meanNorm(List<float[]> vs) {
            return vs.stream().mapToDouble(v -> Math.sqrt(cosineDot(v, v))).average().orElseThrow();
        }

        double meanCos() {
            return cos.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        }

        double exact() {
            int n = 0;
            for (int i = 0; i < hyps.size(); i++) {
                n += hyps.get(i).strip().equals(refs.get(i)) ? 1 : 0;
            }
            return n / (double) hyps.size();
        }
    }

    private static Expected expected(List<List<String>> ds, int window, DecodingOptions o, int maxWords) {
        List<String> h = new ArrayList<>();
        List<String> r = new ArrayList<>();
        List<Double> c = new ArrayList<>();
        List<float[]> ps = new ArrayList<>();
        List<float[]> ts = new ArrayList<>();
        try (SonarLlm llm = SonarLlm.load(bundle)) {
            for (List<String> d : ds) {
                for (int k = 1; k < d.size(); k++) {
                    if (maxWords > 0 && d.get(k).split(" ").length > maxWords) {
                        continue;
                    }
                    float[] p = predict(llm, d.subList(0, k), window);
                    h.add(llm.decoder().decode(p, EN, o).text());
                    r.add(d.get(k));
                    float[] t = llm.encoder().encode(List.of(d.get(k)), EN).get(0);
                    c.add(cosine(p, t));
                    ps.add(p);
                    ts.add(t);
                }
            }
        }
        return new Expected(h, r, c, ps, ts);
    }

    private static void assertSummary(MainTest.Result res, int nDocs, Expected e) throws Exception {
        assertEquals(0, res.code(), res.err());
        List<JsonNode> lines = res.lines();
        assertEquals(1, lines.size(), res.out());
        JsonNode o = lines.get(0);
        assertEquals(List.of("docs", "pairs", "bleu", "rougeL", "exact", "meanCosine", "chrF", "meanNearestCosine",
                "meanPredictionNorm", "meanTargetNorm", "lexiconWords"), fieldNames(o));
        assertEquals(0, o.get("lexiconWords").asInt(), "tiny-a's bundle has no lexicon");
        assertEquals(nDocs, o.get("docs").asInt());
        assertEquals(e.hyps().size(), o.get("pairs").asInt());
        assertEquals(100 * TextMetrics.corpusBleu(e.hyps(), e.refs()), o.get("bleu").asDouble(), 1e-10);
        assertEquals(TextMetrics.meanRougeL(e.hyps(), e.refs()), o.get("rougeL").asDouble(), 1e-12);
        assertEquals(e.exact(), o.get("exact").asDouble(), 1e-12);
        assertEquals(e.meanCos(), o.get("meanCosine").asDouble(), 1e-5);
        assertEquals(TextMetrics.corpusChrF(e.hyps(), e.refs()), o.get("chrF").asDouble(), 1e-10);
        assertEquals(e.meanNearest(), o.get("meanNearestCosine").asDouble(), 1e-5);
        assertTrue(o.get("meanNearestCosine").asDouble() >= o.get("meanCosine").asDouble() - 1e-9);
        assertEquals(Expected.meanNorm(e.preds()), o.get("meanPredictionNorm").asDouble(), 1e-4);
        assertEquals(Expected.meanNorm(e.targets()), o.get("meanTargetNorm").asDouble(), 1e-4);
    }

    private static List<String> fieldNames(JsonNode o) {
        List<String> n = new ArrayList<>();
        o.fieldNames().forEachRemaining(n::add);
        return n;
    }

    @Test
    void beamMetricsEqualAnIndependentRecomputationAndPairsFileListsEveryPair() throws Exception {
        Path pairs = org.sonarllm.testing.TempDirs.create("pairs").resolve("pairs.jsonl");
        MainTest.Result res = MainTest.run("", "eval-next", "--model", bundle.toString(), "--corpus", corpus.toString(),
                "--beam", "5", "--max-tokens", String.valueOf(BEAM_TOKENS), "--pairs", pairs.toString());
        Expected e = expected(docs, Integer.MAX_VALUE, DecodingOptions.beam(5).withMaxTokens(BEAM_TOKENS), 0);
        assertEquals(2 + 3 + 1 + 2, e.hyps().size());
        assertTrue(TextMetrics.corpusBleu(e.hyps(), e.refs()) > 0, "the crafted documents give BLEU > 0");
        assertTrue(e.exact() >= 2.0 / 8, "both crafted first pairs match exactly");
        assertSummary(res, 4, e);
        assertTrue(res.err().contains("8 pairs, 4/4 documents"), res.err());
        List<String> lines = Files.readAllLines(pairs, StandardCharsets.UTF_8);
        assertEquals(8, lines.size());
        List<String> contextLast = new ArrayList<>();
        for (List<String> d : docs) {
            contextLast.addAll(d.subList(0, d.size() - 1));
        }
        for (int i = 0; i < lines.size(); i++) {
            JsonNode p = JSON.readTree(lines.get(i));
            assertEquals(List.of("context_last", "reference", "hypothesis", "cosine"), fieldNames(p));
            assertEquals(contextLast.get(i), p.get("context_last").asText());
            assertEquals(e.refs().get(i), p.get("reference").asText());
            assertEquals(e.hyps().get(i), p.get("hypothesis").asText());
            assertEquals(e.cos().get(i), p.get("cosine").asDouble(), 1e-5);
        }
    }

    /** Rows of {@code tok(sentence)} padded with the pad id: decoder inputs ({@code input}) or labels. */
    private static long[][] padded(List<int[]> rows, int pad) {
        int len = rows.stream().mapToInt(r -> r.length).max().orElseThrow();
        long[][] out = new long[rows.size()][len];
        for (int i = 0; i < out.length; i++) {
            java.util.Arrays.fill(out[i], pad);
            for (int j = 0; j < rows.get(i).length; j++) {
                out[i][j] = rows.get(i)[j];
            }
        }
        return out;
    }

    @Test
    void confidenceIsTheTrainingDecodersCrossEntropyAndEntropyAtFourVectors() throws Exception {
        MainTest.Result res = MainTest.run("", "eval-next", "--model", bundle.toString(), "--corpus", corpus.toString(),
                "--beam", "1", "--max-tokens", "10", "--confidence");
        assertEquals(0, res.code(), res.err());
        JsonNode o = res.lines().get(0);
        assertEquals(List.of("docs", "pairs", "bleu", "rougeL", "exact", "meanCosine", "chrF", "meanNearestCosine",
                "meanPredictionNorm", "meanTargetNorm", "lexiconWords", "confidence"), fieldNames(o));
        JsonNode c = o.get("confidence");
        Expected e = expected(docs, Integer.MAX_VALUE, DecodingOptions.greedy().withMaxTokens(10), 0);
        int n = e.refs().size();
        // the independent path: the training module's imported decoder (SameDiff) on the same sentences
        ImportedSonarDecoder dec = ImportedSonarDecoder.fromBundle(bundle);
        List<int[]> in = new ArrayList<>();
        List<int[]> labels = new ArrayList<>();
        try (SonarLlm llm = SonarLlm.load(bundle)) {
            for (String r : e.refs()) {
                in.add(llm.tokenizer().decoderInput(r, EN));
                labels.add(llm.tokenizer().decoderTarget(r, EN));
            }
        }
        long[][] ids = padded(in, dec.padId());
        long[][] lab = padded(labels, dec.padId());
        float[][] nearest = new float[n][];
        float[][] other = new float[n][];
        for (int i = 0; i < n; i++) {
            double best = -2;
            for (float[] t : e.targets()) {
                if (cosine(e.preds().get(i), t) > best) {
                    best = cosine(e.preds().get(i), t);
                    nearest[i] = t;
                }
            }
            other[i] = e.targets().get((i + n / 2) % n);
        }
        Map<String, float[][]> vectors = Map.of("prediction", e.preds().toArray(new float[0][]), "true",
                e.targets().toArray(new float[0][]), "nearest", nearest, "other", other);
        assertEquals(n, c.get("pairs").asInt());
        assertEquals(labels.stream().mapToInt(l -> l.length).sum(), c.get("tokens").asLong());
        for (Map.Entry<String, float[][]> v : vectors.entrySet()) {
            double ce = dec.crossEntropyLoss(ids, lab, v.getValue()).loss();
            assertEquals(ce, c.get(v.getKey() + "Ce").asDouble(), 1e-4 * ce, v.getKey());
            // entropy: -sum p log p of the imported decoder's logits at every label position
            INDArray logits = dec.logits(ids, v.getValue());
            double h = 0;
            for (int i = 0; i < n; i++) {
                for (int t = 0; t < labels.get(i).length; t++) {
                    double[] l = logits.get(NDArrayIndex.point(i), NDArrayIndex.point(t), NDArrayIndex.all())
                            .castTo(DataType.DOUBLE).toDoubleVector();
                    double max = java.util.Arrays.stream(l).max().orElseThrow();
                    double z = java.util.Arrays.stream(l).map(x -> Math.exp(x - max)).sum();
                    for (double x : l) {
                        double p = Math.exp(x - max) / z;
                        h -= p > 0 ? p * Math.log(p) : 0;
                    }
                }
            }
            h /= c.get("tokens").asLong();
            assertEquals(h, c.get(v.getKey() + "Entropy").asDouble(), 1e-4 * h, v.getKey());
        }
        assertTrue(c.get("trueCe").asDouble() < c.get("otherCe").asDouble(), "a sentence's own vector decodes it best");
    }

    @Test
    void greedyWithASlidingContextWindow() throws Exception {
        MainTest.Result res = MainTest.run("", "eval-next", "--model", bundle.toString(), "--corpus", corpus.toString(),
                "--beam", "1", "--max-tokens", "10", "--max-context", "2");
        Expected e = expected(docs, 2, DecodingOptions.greedy().withMaxTokens(10), 0);
        assertSummary(res, 4, e);
        // the window matters: with the full context the house's last prediction differs
        Expected full = expected(List.of(HOUSE), Integer.MAX_VALUE, DecodingOptions.greedy().withMaxTokens(10), 0);
        Expected win = expected(List.of(HOUSE), 2, DecodingOptions.greedy().withMaxTokens(10), 0);
        assertTrue(Math.abs(full.cos().get(2) - win.cos().get(2)) > 1e-6, "window changes the 4th prediction");
    }

    @Test
    void maxWordsScoresOnlyShortNextSentences() throws Exception {
        Path txt = corpus.resolve("a.txt");
        MainTest.Result res = MainTest.run("", "eval-next", "--model", bundle.toString(), "--corpus", txt.toString(),
                "--beam", "1", "--max-tokens", "8", "--max-words", "4");
        // "Nobody had lived there for years." (6 words) is not scored but stays in the context
        Expected e = expected(List.of(ROAD, HOUSE), Integer.MAX_VALUE, DecodingOptions.greedy().withMaxTokens(8), 4);
        assertEquals(4, e.hyps().size());
        assertSummary(res, 2, e);
    }

    @Test
    void maxDocsTakesASeededSampleInCorpusOrder() throws Exception {
        List<Integer> all = List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        List<Integer> s1 = NextSentenceEvaluator.sample(all, 4, 7);
        assertEquals(4, s1.size());
        assertEquals(s1, NextSentenceEvaluator.sample(all, 4, 7));
        assertEquals(s1.stream().sorted().toList(), s1);
        assertEquals(all, NextSentenceEvaluator.sample(all, 20, 7));
        assertEquals(all, NextSentenceEvaluator.sample(all, null, 7));
        boolean differs = false;
        for (long seed = 0; seed < 5 && !differs; seed++) {
            differs = !NextSentenceEvaluator.sample(all, 4, seed).equals(s1);
        }
        assertTrue(differs, "the seed changes the sample");
        MainTest.Result res = MainTest.run("", "eval-next", "--model", bundle.toString(), "--corpus", corpus.toString(),
                "--beam", "1", "--max-tokens", "6", "--max-docs", "2", "--seed", "3");
        List<List<String>> picked = NextSentenceEvaluator.sample(docs, 2, 3);
        assertSummary(res, 2, expected(picked, Integer.MAX_VALUE, DecodingOptions.greedy().withMaxTokens(6), 0));
    }

    @Test
    void badInputGivesOneLineErrorsWithExitCode2() throws Exception {
        String m = bundle.toString();
        String c = corpus.toString();
        Path dir = org.sonarllm.testing.TempDirs.create("bad-corpus");
        Path empty = Files.writeString(dir.resolve("empty.txt"), "\n\n");
        Path single = Files.writeString(dir.resolve("single.txt"), "One sentence.\n\nAnother one.\n");
        assertError("model bundle directory not found: " + dir.resolve("nope"),
                "--model", dir.resolve("nope").toString(), "--corpus", c);
        assertError(TinyABundle.get() + ": expected a bundle with a concept LM, found none (add one with convert"
                + " --concept-lm DIR, or train)", "--model", TinyABundle.get().toString(), "--corpus", c);
        assertError("expected at least one document in " + empty + ", found none", "--model", m, "--corpus", empty.toString());
        assertError("expected a document with at least 2 sentences in " + single + ", found none among 2 documents",
                "--model", m, "--corpus", single.toString());
        assertError("expected a corpus file or directory, found nothing at " + dir.resolve("missing.txt"),
                "--model", m, "--corpus", dir.resolve("missing.txt").toString());
        MainTest.Result beam0 = MainTest.run("", "eval-next", "--model", m, "--corpus", c, "--beam", "0");
        assertEquals(List.of("error: --beam must be >= 1, got 0"), beam0.errLines());
        assertError("--beam must be >= 1, got 0", "--model", m, "--corpus", c, "--beam", "0");
        assertError("--max-docs must be >= 1, got 0", "--model", m, "--corpus", c, "--max-docs", "0");
        assertError("--max-context must be >= 0 (0 = the model's limit), got -1", "--model", m, "--corpus", c,
                "--max-context", "-1");
        assertError("expected at least one next sentence of at most 1 words, found none in 4 documents (raise the word limit)",
                "--model", m, "--corpus", c, "--max-words", "1", "--beam", "1", "--max-tokens", "4");
        MainTest.Result noCorpus = MainTest.run("", "eval-next", "--model", m);
        assertEquals(2, noCorpus.code());
        assertEquals(1, noCorpus.errLines().size(), noCorpus.err());
    }

    private static void assertError(String message, String... args) {
        String[] a = new String[args.length + 1];
        a[0] = "eval-next";
        System.arraycopy(args, 0, a, 1, args.length);
        MainTest.Result r = MainTest.run("", a);
        assertEquals(2, r.code(), r.err());
        List<String> err = r.errLines();
        assertEquals("error: " + message, err.get(err.size() - 1), r.err());
        // anything before the one error line is progress (only when documents were evaluated)
        assertTrue(err.subList(0, err.size() - 1).stream().allMatch(l -> l.startsWith("eval-next: ")), r.err());
        assertEquals("", r.out());
    }
}
