package org.sonarllm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.sonarllm.InvalidInputException;
import org.sonarllm.bundle.DefaultBundle;
import org.sonarllm.lang.Language;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.training.data.CorpusReader;
import org.sonarllm.training.eval.NextSentenceEvaluator;
import picocli.CommandLine.Option;

/**
 * Options of the commands that generate from the openings of held-out paragraphs ({@code eval-generation},
 * {@code eval-repetition}): {@code --model} (default: the embedded model), {@code --corpus},
 * {@code --prompt-sentences}, {@code --seed}; the prompt count is the command's own.
 *
 * <pre>{@code
 * @CommandLine.Mixin HeldOutPrompts held;
 * List<String> prompts = held.openings(20);
 * try (SonarLlm llm = SonarLlm.load(held.bundle())) { ... }
 * }</pre>
 */
final class HeldOutPrompts {
    @Option(names = "--model", paramLabel = "BUNDLE", description = "Bundle (default: the embedded default model).")
    Path model;
    @Option(names = "--corpus", required = true, paramLabel = "PATH", description = "Held-out paragraphs (.txt or .jsonl).")
    Path corpus;
    @Option(names = "--prompt-sentences", defaultValue = "2", paramLabel = "K",
            description = "Sentences of each paragraph used as its prompt (default ${DEFAULT-VALUE}).")
    int promptSentences;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the paragraph sample (default ${DEFAULT-VALUE}).")
    long seed;

    /**
     * @param n paragraphs
     * @return the first {@code --prompt-sentences} sentences of {@code n} sampled paragraphs
     * @throws InvalidInputException if {@code n} or the sentence count is below 1, or no paragraph is long enough
     */
    List<String> openings(int n) {
        return openings(n, 0).stream().map(NextSentenceEvaluator.Opening::prompt).toList();
    }

    /**
     * @param n paragraphs
     * @param next sentences of the held-out text's own continuation wanted per prompt
     * @return the prompts of {@link #openings(int)}, each with what the text says after it
     * @throws InvalidInputException if {@code n} or the sentence count is below 1, or no paragraph is long enough
     */
    List<NextSentenceEvaluator.Opening> openings(int n, int next) {
        if (n < 1 || promptSentences < 1) {
            throw new InvalidInputException("expected --prompts >= 1 and --prompt-sentences >= 1, found " + n + ", "
                    + promptSentences);
        }
        return NextSentenceEvaluator.openings(CorpusReader.read(corpus), SentenceSegmenters.forLanguage(Language.ENGLISH),
                n, promptSentences, seed, next);
    }

    /** @return every held-out paragraph of {@code --corpus} as its sentences, in corpus order */
    List<List<String>> paragraphs() {
        return NextSentenceEvaluator.documents(CorpusReader.read(corpus), SentenceSegmenters.forLanguage(Language.ENGLISH));
    }

    /** @return {@code --model}, or the embedded default bundle */
    Path bundle() {
        return bundleOrDefault(model);
    }

    /**
     * @param model a bundle directory, or null
     * @return it, or the embedded default bundle
     * @throws UsageException if neither exists
     */
    static Path bundleOrDefault(Path model) {
        Path bundle = model != null ? model : DefaultBundle.locate().orElseThrow(() -> new UsageException(
                "no model: pass --model BUNDLE, set " + DefaultBundle.ENV + ", or put " + DefaultBundle.ARTIFACT
                        + " on the class path"));
        if (!Files.isDirectory(bundle)) {
            throw new UsageException("model bundle directory not found: " + bundle);
        }
        return bundle;
    }
}
