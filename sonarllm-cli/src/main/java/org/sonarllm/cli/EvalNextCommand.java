package org.sonarllm.cli;

import org.sonarllm.encode.Vectors;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.ConceptDecoder;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.predict.ConceptLMSession;
import org.sonarllm.segment.Segment;
import org.sonarllm.segment.SentenceSegmenter;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.training.data.CorpusReader;
import org.sonarllm.training.sonar.TextMetrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm eval-next --model BUNDLE --corpus PATH}: next-sentence prediction quality of a
 * bundle's concept LM on held-out documents. Documents are read with {@link CorpusReader} ({@code .txt}
 * blank-line paragraphs or {@code .jsonl}), split by the language's {@link SentenceSegmenters
 * segmenter} (pre-split {@code "sentences"} are kept), and those with at least two sentences are
 * evaluated. For every position {@code k >= 1} of a document, sentences {@code 0..k-1} (the last
 * {@code --max-context} of them) are encoded and fed to a concept LM session; the predicted vector is
 * decoded (beam {@code --beam}, greedy when 1) and compared with the true sentence {@code k}. Prints
 * one line {@code {"docs", "pairs", "bleu", "rougeL", "exact", "meanCosine"}}: corpus BLEU-4 and mean
 * ROUGE-L F1 ({@link TextMetrics}), the share of hypotheses equal to the reference (white space
 * collapsed), and the mean cosine between the predicted vector and the true sentence's vector.
 *
 * <pre>{@code
 * ./sonarllm eval-next --model runs/ce-bundle --corpus data/austen/persuasion.txt --max-docs 200 --seed 1
 * {"docs":200,"pairs":612,"bleu":0.021,"rougeL":0.18,"exact":0.0,"meanCosine":0.41}
 * }</pre>
 */
@Command(name = "eval-next", mixinStandardHelpOptions = true,
        description = "Next-sentence prediction on held-out documents: prints {docs, pairs, bleu, rougeL, exact, meanCosine}.")
final class EvalNextCommand extends CliCommand {
    private static final int PROGRESS_EVERY = 50;
    private static final int DECODE_BATCH = 16;

    @Option(names = "--model", required = true, paramLabel = "BUNDLE", description = "Model bundle with a concept LM.")
    Path model;
    @Option(names = "--corpus", required = true, paramLabel = "PATH",
            description = "A .txt (paragraph per blank-line block) or .jsonl file, or a directory of them.")
    Path corpus;
    @Option(names = "--max-docs", paramLabel = "N", description = "Evaluate a seeded sample of at most N documents (default: all).")
    Integer maxDocs;
    @Option(names = "--max-context", defaultValue = "0", paramLabel = "K",
            description = "Most context sentences before each prediction; 0 = the concept LM's limit (default ${DEFAULT-VALUE}).")
    int maxContext;
    @Option(names = "--beam", defaultValue = "5", paramLabel = "B", description = "Beam size; 1 = greedy (default ${DEFAULT-VALUE}).")
    int beam;
    @Option(names = "--max-words", defaultValue = "0", paramLabel = "N",
            description = "Only score next sentences of at most N words (they stay in the context); 0 = all (default ${DEFAULT-VALUE}).")
    int maxWords;
    @Option(names = "--max-tokens", paramLabel = "N",
            description = "Most tokens per decoded sentence (default 128, or what the model's positions allow).")
    Integer maxTokens;
    @Option(names = "--seed", defaultValue = "0", description = "Seed of the --max-docs sample (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--lang", converter = LanguageConverter.class, defaultValue = "eng_Latn",
            description = "Corpus language (default ${DEFAULT-VALUE}).")
    Language lang;
    @Option(names = "--pairs", paramLabel = "FILE",
            description = "Also write every pair as a JSON line {context_last, reference, hypothesis, cosine}.")
    Path pairsFile;

    /** The printed summary. */
    record Summary(int docs, int pairs, double bleu, double rougeL, double exact, double meanCosine) {}

    /** One scored position, as written to {@code --pairs}. */
    record Pair(@JsonProperty("context_last") String contextLast, String reference, String hypothesis, double cosine) {}

    @Override
    protected int run() throws Exception {
        check();
        List<List<String>> docs = documents();
        try (SonarLlm llm = SonarLlm.load(model)) {
            if (!llm.hasConceptLm()) {
                throw new UsageException(model + ": expected a bundle with a concept LM, found none"
                        + " (add one with convert --concept-lm DIR, or train)");
            }
            int tokens = maxTokens != null ? maxTokens
                    : Math.max(1, Math.min(DecodingOptions.DEFAULT_MAX_TOKENS, llm.manifest().dimensions().maxPositions() - 2));
            DecodingOptions options = (beam == 1 ? DecodingOptions.greedy() : DecodingOptions.beam(beam)).withMaxTokens(tokens);
            ConceptLM lm = llm.conceptLm();
            int window = maxContext == 0 ? lm.contextLimit() : Math.min(maxContext, lm.contextLimit());
            try (PrintStream pairsOut = openPairs()) {
                JsonLines pj = pairsOut == null ? null : new JsonLines(pairsOut);
                List<String> hyps = new ArrayList<>();
                List<String> refs = new ArrayList<>();
                double cosSum = 0;
                int exact = 0;
                int done = 0;
                for (List<String> doc : docs) {
                    List<Pair> ps = evaluate(llm, lm, doc, window, options);
                    for (Pair p : ps) {
                        hyps.add(p.hypothesis());
                        refs.add(p.reference());
                        cosSum += p.cosine();
                        exact += normalize(p.hypothesis()).equals(p.reference()) ? 1 : 0;
                        if (pj != null) {
                            pj.write(p);
                        }
                    }
                    done++;
                    if (hyps.size() / PROGRESS_EVERY > (hyps.size() - ps.size()) / PROGRESS_EVERY || done == docs.size()) {
                        stderr().printf("eval-next: %d pairs, %d/%d documents%n", hyps.size(), done, docs.size());
                    }
                }
                if (pairsOut != null && pairsOut.checkError()) {
                    throw new org.sonarllm.SonarLlmException("cannot write --pairs file " + pairsFile);
                }
                if (hyps.isEmpty()) {
                    throw new InvalidInputException("expected at least one next sentence of at most " + maxWords
                            + " words, found none in " + docs.size() + " documents (raise --max-words)");
                }
                int n = hyps.size();
                json().write(new Summary(docs.size(), n, 100 * TextMetrics.corpusBleu(hyps, refs), TextMetrics.meanRougeL(hyps, refs),
                        exact / (double) n, cosSum / n));
            }
        }
        return 0;
    }

    private void check() {
        if (!Files.isDirectory(model)) {
            throw new UsageException("model bundle directory not found: " + model);
        }
        if (maxDocs != null && maxDocs < 1) {
            throw new InvalidInputException("--max-docs must be >= 1, got " + maxDocs);
        }
        if (maxContext < 0) {
            throw new InvalidInputException("--max-context must be >= 0 (0 = the model's limit), got " + maxContext);
        }
        if (beam < 1) {
            throw new InvalidInputException("--beam must be >= 1, got " + beam);
        }
        if (maxWords < 0) {
            throw new InvalidInputException("--max-words must be >= 0 (0 = no limit), got " + maxWords);
        }
        if (maxTokens != null && maxTokens < 1) {
            throw new InvalidInputException("--max-tokens must be >= 1, got " + maxTokens);
        }
    }

    /** The corpus's documents with at least two sentences, sampled down to {@code --max-docs}. */
    private List<List<String>> documents() {
        List<CorpusReader.RawDocument> raw = CorpusReader.read(corpus);
        if (raw.isEmpty()) {
            throw new InvalidInputException("expected at least one document in " + corpus + ", found none");
        }
        List<List<String>> docs = sentences(raw, SentenceSegmenters.forLanguage(lang));
        if (docs.isEmpty()) {
            throw new InvalidInputException("expected a document with at least 2 sentences in " + corpus + ", found none among "
                    + raw.size() + " documents");
        }
        return sample(docs, maxDocs, seed);
    }

    /**
     * Segments documents (pre-split sentences are kept) and keeps those with at least two sentences.
     * Sentences are stripped and blank ones dropped, as in training's {@code CorpusPipeline}.
     */
    static List<List<String>> sentences(List<CorpusReader.RawDocument> raw, SentenceSegmenter segmenter) {
        List<List<String>> out = new ArrayList<>();
        for (CorpusReader.RawDocument r : raw) {
            List<String> s = new ArrayList<>();
            if (r.sentences() != null) {
                r.sentences().stream().filter(x -> !x.isBlank()).map(String::strip).forEach(s::add);
            } else {
                for (Segment seg : segmenter.segment(r.text())) {
                    if (!seg.text().isBlank()) {
                        s.add(seg.text().strip());
                    }
                }
            }
            if (s.size() >= 2) {
                out.add(s);
            }
        }
        return out;
    }

    /** At most {@code n} documents chosen by a seeded shuffle, in corpus order; all if {@code n} is null. */
    static <T> List<T> sample(List<T> docs, Integer n, long seed) {
        if (n == null || n >= docs.size()) {
            return docs;
        }
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            idx.add(i);
        }
        Collections.shuffle(idx, new Random(seed));
        List<Integer> keep = new ArrayList<>(idx.subList(0, n));
        Collections.sort(keep);
        List<T> out = new ArrayList<>(n);
        for (int i : keep) {
            out.add(docs.get(i));
        }
        return out;
    }

    /** The scored pairs of one document (positions whose next sentence passes {@code --max-words}). */
    private List<Pair> evaluate(SonarLlm llm, ConceptLM lm, List<String> doc, int window, DecodingOptions options) {
        List<float[]> emb = llm.encoder().encode(doc, lang);
        List<Integer> ks = new ArrayList<>();
        List<float[]> preds = new ArrayList<>();
        try (ConceptLMSession s = lm.newSession()) {
            for (int k = 1; k < doc.size(); k++) {
                float[] p;
                if (k <= window) {
                    s.append(emb.get(k - 1));
                    p = s.predictNext();
                } else {
                    try (ConceptLMSession w = lm.newSession()) {
                        w.append(emb.subList(k - window, k));
                        p = w.predictNext();
                    }
                }
                if (maxWords == 0 || words(doc.get(k)) <= maxWords) {
                    ks.add(k);
                    preds.add(p);
                }
            }
        }
        ConceptDecoder dec = llm.decoder();
        List<Pair> out = new ArrayList<>(ks.size());
        for (int i = 0; i < ks.size(); i += DECODE_BATCH) {
            List<float[]> part = preds.subList(i, Math.min(ks.size(), i + DECODE_BATCH));
            List<DecodedSentence> d = dec.decode(part, lang, options);
            for (int j = 0; j < part.size(); j++) {
                int k = ks.get(i + j);
                out.add(new Pair(normalize(doc.get(k - 1)), normalize(doc.get(k)), d.get(j).text(),
                        Vectors.cosine(part.get(j), emb.get(k))));
            }
        }
        return out;
    }

    private PrintStream openPairs() {
        if (pairsFile == null) {
            return null;
        }
        try {
            OutputStream o = Files.newOutputStream(pairsFile);
            return new PrintStream(new java.io.BufferedOutputStream(o), false, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UsageException("cannot write --pairs file " + pairsFile + ": " + e.getMessage());
        }
    }

    /** @return the number of white-space separated words */
    static int words(String s) {
        String t = s.strip();
        return t.isEmpty() ? 0 : t.split("\\s+").length;
    }

    /** Collapses runs of white space (line breaks inside a paragraph) to one space. */
    static String normalize(String s) {
        return s.strip().replaceAll("\\s+", " ");
    }

}
