package org.sonarllm.cli;

import java.nio.file.Path;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.training.eval.SpaceEvaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm eval-space --model BUNDLE --corpus PATH}: how well a bundle's SONAR space reconstructs
 * and retrieves held-out sentences ({@link SpaceEvaluator}): prints one line
 * {@code {"sentences", "distractors", "bleu", "exactMatch", "retrievalTop1", "examples"}}.
 *
 * <pre>{@code
 * ./sonarllm eval-space --model runs/space --corpus data/austen/persuasion.txt --sentences 500
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
    @Option(names = "--lang", defaultValue = "eng_Latn", converter = LanguageConverter.class) Language lang;

    @Override
    protected int run() {
        if (beam < 1 || maxTokens < 1) {
            throw new UsageException("--beam and --max-tokens must be >= 1, got " + beam + " and " + maxTokens);
        }
        DecodingOptions decoding = decoding(beam, maxTokens);
        SpaceEvaluator.Options o = new SpaceEvaluator.Options(sentences, distractors, maxWords, seed, decoding, lang);
        try (SonarLlm llm = SonarLlm.load(HeldOutPrompts.bundleOrDefault(model))) {
            json().write(new SpaceEvaluator(llm.encoder(), llm.decoder(), o).evaluate(SpaceEvaluator.sentences(corpus, lang)));
        }
        return 0;
    }
}
