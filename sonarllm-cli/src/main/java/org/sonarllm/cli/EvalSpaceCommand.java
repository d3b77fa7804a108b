package org.sonarllm.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.training.eval.SpaceEvaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm eval-space --model BUNDLE --corpus PATH}: how well a bundle's SONAR space reconstructs
 * and retrieves held-out sentences ({@link SpaceEvaluator}): prints one line
 * {@code {"sentences", "distractors", "bleu", "exactMatch", "retrievalTop1", "examples"}}; with
 * {@code --vocabulary TEXT} also the non-words its reconstructions add to <i>common</i> sentences, those
 * whose words are all in that text ({@link SpaceEvaluator#nonWords}): {@code "commonSentences",
 * "commonWithNonWords", "commonNonWordShare", "commonNonWords"}.
 *
 * <pre>{@code
 * ./sonarllm eval-space --model runs/space --corpus data/austen/persuasion.txt --sentences 500 \
 *     --vocabulary runs/austen-train
 * }</pre>
 */
@Command(name = "eval-space", mixinStandardHelpOptions = true,
        description = "Reconstruction BLEU and retrieval top-1 of held-out sentences through a bundle's encoder and decoder.")
final class EvalSpaceCommand extends CliCommand {
    @Option(names = "--model", paramLabel = "BUNDLE", description = "Bundle (default: the embedded default model).")
    Path model;
    @Option(names = "--corpus", required = true, paramLabel = "PATH",
            description = "Held-out text file or directory, read as books (paragraphs at blank lines, headings dropped).")
    Path corpus;
    @Option(names = "--sentences", defaultValue = "500", description = "Sentences to reconstruct (default ${DEFAULT-VALUE}).") int sentences;
    @Option(names = "--distractors", defaultValue = "1000", description = "Distractors of the retrieval (default ${DEFAULT-VALUE}).") int distractors;
    @Option(names = "--max-words", defaultValue = "20", description = "Longest held-out sentence, in words (default ${DEFAULT-VALUE}).") int maxWords;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the sample (default ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--beam", defaultValue = "5", description = "Beam size; 1 = greedy (default ${DEFAULT-VALUE}).") int beam;
    @Option(names = "--max-tokens", defaultValue = "64", description = "Most tokens per decoded sentence (default ${DEFAULT-VALUE}).") int maxTokens;
    @Mixin
    LexiconFlag lexicon = new LexiconFlag();
    @Option(names = "--lang", defaultValue = "eng_Latn", converter = LanguageConverter.class) Language lang;
    @Option(names = "--vocabulary", paramLabel = "PATH",
            description = "Training text (file or directory): also count the non-words added to sentences all of whose words it has.")
    Path vocabulary;

    @Override
    protected int run() {
        if (beam < 1 || maxTokens < 1) {
            throw new UsageException("--beam and --max-tokens must be >= 1, got " + beam + " and " + maxTokens);
        }
        Set<String> vocab = vocabulary == null ? null : EvalGenerationCommand.vocabulary(vocabulary);
        SpaceEvaluator.Report r;
        DecodingOptions decoding;
        try (SonarLlm llm = SonarLlm.load(HeldOutPrompts.bundleOrDefault(model))) {
            decoding = lexicon.apply(decoding(beam, maxTokens), llm.lexicon().orElse(null));
            SpaceEvaluator.Options o = new SpaceEvaluator.Options(sentences, distractors, maxWords, seed, decoding, lang);
            r = new SpaceEvaluator(llm.encoder(), llm.decoder(), o).evaluate(SpaceEvaluator.sentences(corpus, lang));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("sentences", r.sentences());
        out.put("distractors", r.distractors());
        out.put("bleu", r.bleu());
        out.put("exactMatch", r.exactMatch());
        out.put("retrievalTop1", r.retrievalTop1());
        out.put("lexiconWords", LexiconFlag.size(decoding));
        if (vocab != null) {
            SpaceEvaluator.NonWords n = SpaceEvaluator.nonWords(r.reconstructions(), vocab);
            out.put("commonSentences", n.commonSentences());
            out.put("commonWithNonWords", n.withNonWords());
            out.put("commonNonWordShare", EvalGenerationCommand.round(n.nonWordShare()));
            out.put("commonNonWords", n.examples());
            out.put("commonBleu", n.bleu());
            out.put("commonExactMatch", n.exactMatch());
        }
        out.put("examples", r.examples());
        json().write(out);
        return 0;
    }
}
