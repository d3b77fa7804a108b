package org.sonarllm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sonarllm.InvalidInputException;
import org.sonarllm.generate.BatchOptions;
import org.sonarllm.generate.GeneratedSentence;
import org.sonarllm.generate.GenerationOptions;
import org.sonarllm.generate.GenerationResult;
import org.sonarllm.generate.StopCriterion;
import org.sonarllm.generate.StopRules;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.training.data.CorpusReader;
import org.sonarllm.training.eval.GenerationMetrics;
import org.sonarllm.training.eval.NextSentenceEvaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm eval-generation}: what a reader sees in generated text, as numbers
 * ({@link GenerationMetrics}). Continues the first sentences of held-out paragraphs with the bundle's own
 * generation defaults (its stop rules, with at most {@code --max-sentences} sentences) and prints one JSON
 * line: the share of words found in the training text, verbatim repeats, distinct-2, prompt dependence,
 * and every prompt with its continuation; under {@code held_out_text} the same figures for what the held-out
 * text itself says after each prompt (its next {@code --max-sentences} sentences, across paragraph ends, printed
 * as each sample's {@code held_out}), the yardstick for the generated figures, and under
 * {@code held_out_text_same_length} the same with each true continuation cut to as many sentences as were
 * generated for its prompt (shared words grow with length, so this is the fair yardstick for prompt dependence).
 *
 * <pre>{@code
 * ./sonarllm eval-generation --model my-bundle --corpus data/austen/persuasion.txt --vocabulary runs/austen-train
 * }</pre>
 */
@Command(name = "eval-generation", mixinStandardHelpOptions = true,
        description = "Vocabulary share, verbatim repeats, distinct-2 and prompt dependence of generated continuations.")
final class EvalGenerationCommand extends CliCommand {
    @Mixin
    HeldOutPrompts held;
    @Option(names = "--vocabulary", required = true, paramLabel = "PATH",
            description = "The training text (file or directory) whose words count as known.")
    Path vocabulary;
    @Option(names = "--prompts", defaultValue = "20", paramLabel = "N", description = "Paragraph openings (default ${DEFAULT-VALUE}).")
    int prompts;
    @Option(names = "--max-sentences", defaultValue = "8", paramLabel = "N", description = "Generated per prompt at most (default ${DEFAULT-VALUE}).")
    int maxSentences;
    @Option(names = "--beam", defaultValue = "5", paramLabel = "B", description = "Beam size; 1 = greedy (default ${DEFAULT-VALUE}).")
    int beam;
    @Mixin
    LexiconFlag lexicon = new LexiconFlag();
    @Option(names = "--no-repetition-stop", description = "Turn the bundle's repetition stop off (to see the model alone).")
    boolean noRepetitionStop;

    @Override
    protected int run() {
        if (maxSentences < 1) {
            throw new InvalidInputException("expected --max-sentences >= 1, found " + maxSentences);
        }
        Set<String> vocab = vocabulary(vocabulary);
        List<NextSentenceEvaluator.Opening> sampled = held.openings(prompts, maxSentences);
        List<String> openings = sampled.stream().map(NextSentenceEvaluator.Opening::prompt).toList();
        Path bundle = held.bundle();
        try (SonarLlm llm = SonarLlm.load(bundle)) {
            GenerationOptions defaults = llm.generator().defaultOptions();
            StopRules rules = defaults.stopCriterion() instanceof StopRules r ? r : StopRules.paper();
            if (noRepetitionStop) {
                rules = rules.withRepetition(StopRules.RepetitionAction.OFF, rules.repetitionThreshold());
            }
            StopCriterion stop = rules.withMaxSentences(maxSentences);
            GenerationOptions o = defaults.toBuilder()
                    .decoding(lexicon.apply(decoding(beam, defaultMaxTokens(llm)), llm.lexicon().orElse(null)))
                    .stopCriterion(stop).build();
            List<GenerationResult> results = llm.generator(BatchOptions.of(16, 1)).generateAll(openings, o);
            List<List<String>> texts = new ArrayList<>();
            for (GenerationResult g : results) {
                texts.add(g.sentences().stream().map(GeneratedSentence::text).toList());
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", bundle.toString());
            out.put("lexicon_words", LexiconFlag.size(o.decoding()));
            out.putAll(figures(GenerationMetrics.of(openings, texts, vocab)));
            List<List<String>> truth = sampled.stream().map(NextSentenceEvaluator.Opening::continuation).toList();
            out.put("held_out_text", figures(GenerationMetrics.of(openings, truth, vocab)));
            List<List<String>> sameLength = new ArrayList<>();
            for (int i = 0; i < truth.size(); i++) {
                sameLength.add(truth.get(i).subList(0, Math.min(truth.get(i).size(), texts.get(i).size())));
            }
            out.put("held_out_text_same_length", figures(GenerationMetrics.of(openings, sameLength, vocab)));
            List<Map<String, Object>> samples = new ArrayList<>();
            for (int i = 0; i < openings.size(); i++) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("prompt", openings.get(i));
                m.put("continuation", texts.get(i));
                m.put("held_out", truth.get(i));
                m.put("stop", String.valueOf(results.get(i).stopReason()));
                samples.add(m);
            }
            out.put("samples", samples);
            json().write(out);
        }
        return 0;
    }

    /**
     * @param r metrics of continuations
     * @return them as the report prints them
     */
    private static Map<String, Object> figures(GenerationMetrics.Report r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("prompts", r.prompts());
        out.put("sentences", r.sentences());
        out.put("words", r.words());
        out.put("vocabulary_share", round(r.vocabularyShare()));
        out.put("outside_vocabulary", r.outside());
        out.put("verbatim_repeats", r.verbatimRepeats());
        out.put("distinct_2", round(r.distinct2()));
        out.put("prompt_dependent", r.promptDependent());
        out.put("prompt_dependent_share", round(r.promptDependentShare()));
        out.put("mean_shared_with_own_prompt", round(r.meanOwnOverlap()));
        out.put("mean_shared_with_other_prompts", round(r.meanOtherOverlap()));
        out.put("stutters", r.stutters());
        out.put("stutters_per_100_words", round(r.stuttersPer100Words()));
        return out;
    }

    /**
     * @param text training text, a file or directory
     * @return its words ({@link GenerationMetrics#vocabulary})
     * @throws UsageException if it does not exist
     */
    static Set<String> vocabulary(Path text) {
        if (!Files.exists(text)) {
            throw new UsageException("vocabulary text not found: " + text);
        }
        return GenerationMetrics.vocabulary(CorpusReader.read(text).stream().map(CorpusReader.RawDocument::text).toList());
    }

    static double round(double x) {
        return Math.round(x * 1e4) / 1e4;
    }
}
