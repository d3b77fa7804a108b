package org.sonarllm.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.training.data.CorpusReader;
import org.sonarllm.tokenize.SonarTokenizer;
import org.sonarllm.training.eval.DecoderConfidence;
import org.sonarllm.training.eval.NextSentenceEvaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm eval-next --model BUNDLE --corpus PATH}: next-sentence prediction quality of a
 * bundle's concept LM on held-out documents, computed by {@link NextSentenceEvaluator}. Documents are
 * read with {@link CorpusReader}, split by the language's segmenter (pre-split {@code "sentences"} are
 * kept) and those with at least two sentences are evaluated. Prints one line
 * {@code {"docs", "pairs", "bleu", "rougeL", "exact", "meanCosine"}}.
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
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", paramLabel = "BUNDLE",
            description = "Model bundle with a concept LM (default: the embedded default model).")
    Path model;
    @Option(names = "--corpus", required = true, paramLabel = "PATH",
            description = "A .txt (paragraph per blank-line block) or .jsonl file, or a directory of them.")
    Path corpus;
    @Option(names = "--max-docs", paramLabel = "N", description = "Evaluate a seeded sample of at most N documents (default: all).")
    Integer maxDocs;
    @Option(names = "--max-context", defaultValue = "0", paramLabel = "K",
            description = "Most context sentences before each prediction; 0 = the concept LM's limit (default ${DEFAULT-VALUE}).")
    int maxContext;
    @Mixin
    LexiconFlag lexicon = new LexiconFlag();
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

    @Option(names = "--confidence", description = "Also report what the decoder makes of the predictions "
            + "(DecoderConfidence): teacher-forced cross-entropy of the true next sentence and the entropy of the "
            + "decoder's distribution along it, from the prediction, the true vector, the real vector nearest to the "
            + "prediction and another sentence's vector (key \"confidence\").")
    boolean confidence;

    /** One pair as written to {@code --pairs}. */
    record PairLine(@JsonProperty("context_last") String contextLast, String reference, String hypothesis, double cosine) {}

    @Override
    protected int run() throws Exception {
        check();
        Path bundle = HeldOutPrompts.bundleOrDefault(model);
        List<List<String>> docs = documents();
        try (SonarLlm llm = SonarLlm.load(bundle)) {
            if (!llm.hasConceptLm()) {
                throw new UsageException(bundle + ": expected a bundle with a concept LM, found none"
                        + " (add one with convert --concept-lm DIR, or train)");
            }
            DecodingOptions decoding = lexicon.apply(decoding(beam, maxTokens != null ? maxTokens : defaultMaxTokens(llm)),
                    llm.lexicon().orElse(null));
            NextSentenceEvaluator evaluator = new NextSentenceEvaluator(llm.encoder(), llm.conceptLm(), llm.decoder(),
                    new NextSentenceEvaluator.Options(maxContext, decoding, maxWords, lang));
            List<NextSentenceEvaluator.Pair> kept = new ArrayList<>();
            try (PrintStream pairsOut = openPairs()) {
                JsonLines pj = pairsOut == null ? null : new JsonLines(pairsOut);
                NextSentenceEvaluator.Summary s = evaluator.evaluate(docs, new NextSentenceEvaluator.Listener() {
                    private int reported;

                    @Override
                    public void onPair(NextSentenceEvaluator.Pair p) {
                        if (confidence) {
                            kept.add(p);
                        }
                        if (pj != null) {
                            pj.write(new PairLine(p.contextLast(), p.reference(), p.hypothesis(), p.cosine()));
                        }
                    }

                    @Override
                    public void onDocument(int pairs, int done, int total) {
                        if (pairs / PROGRESS_EVERY > reported / PROGRESS_EVERY || done == total) {
                            stderr().printf("eval-next: %d pairs, %d/%d documents%n", pairs, done, total);
                        }
                        reported = pairs;
                    }
                });
                if (pairsOut != null && pairsOut.checkError()) {
                    throw new org.sonarllm.SonarLlmException("cannot write --pairs file " + pairsFile);
                }
                ObjectNode o = JSON.valueToTree(s);
                o.put("lexiconWords", LexiconFlag.size(decoding));
                if (confidence) {
                    o.set("confidence", JSON.valueToTree(confidence(llm, kept)));
                }
                json().write(o);
            }
        }
        return 0;
    }

    /** {@link DecoderConfidence} of the pairs through the bundle's ONNX decoder. */
    private DecoderConfidence.Report confidence(SonarLlm llm, List<NextSentenceEvaluator.Pair> pairs) {
        stderr().printf("eval-next: decoder confidence of %d pairs%n", pairs.size());
        SonarTokenizer tok = llm.tokenizer();
        return DecoderConfidence.of(pairs, (vectors, sentence, language) -> new DecoderConfidence.Forced(
                llm.onnxDecoder().logits(vectors, Collections.nCopies(vectors.size(), tok.decoderInput(sentence, language))),
                tok.decoderTarget(sentence, language)), lang);
    }

    private void check() {
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
        List<List<String>> docs = NextSentenceEvaluator.documents(raw, SentenceSegmenters.forLanguage(lang));
        if (docs.isEmpty()) {
            throw new InvalidInputException("expected a document with at least 2 sentences in " + corpus + ", found none among "
                    + raw.size() + " documents");
        }
        return NextSentenceEvaluator.sample(docs, maxDocs, seed);
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
}
