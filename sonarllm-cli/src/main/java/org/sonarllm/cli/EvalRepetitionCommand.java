package org.sonarllm.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.sonarllm.InvalidInputException;
import org.sonarllm.encode.Vectors;
import org.sonarllm.generate.BatchOptions;
import org.sonarllm.generate.GeneratedSentence;
import org.sonarllm.generate.GenerationOptions;
import org.sonarllm.generate.GenerationResult;
import org.sonarllm.generate.StopRules;
import org.sonarllm.generate.WordPairs;
import org.sonarllm.onnx.SonarLlm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm eval-repetition}: the evidence for a repetition threshold. Generates from the first
 * sentences of held-out paragraphs with the repetition stop off, then, for every generated sentence
 * after the first, takes its largest cosine with the earlier generated sentences (re-encoded vectors,
 * as {@code StopRules} compares them) and its largest word-pair overlap with one of them ({@link
 * WordPairs}), and splits these by whether the sentence repeats an earlier one verbatim. Prints one JSON
 * line: counts, quantiles of the distributions, and for each candidate cosine threshold and each
 * candidate overlap how many non-verbatim sentences it would stop on and how many sentences a
 * drop-and-stop would keep on average, plus the closest non-verbatim pairs. As the yardstick for the
 * overlap, the same measure over the held-out text itself: every sentence of a held-out paragraph
 * (up to {@code --max-sentences}) against the earlier sentences of its paragraph, and how often real
 * prose passes each candidate overlap.
 *
 * <pre>{@code
 * ./sonarllm eval-repetition --corpus data/austen/persuasion.txt --prompts 20
 * }</pre>
 */
@Command(name = "eval-repetition", mixinStandardHelpOptions = true,
        description = "Cosines between generated sentences, verbatim repeats vs distinct, to choose a repetition threshold.")
final class EvalRepetitionCommand extends CliCommand {
    private static final double[] THRESHOLDS = {0.8, 0.85, 0.9, 0.92, 0.94, 0.96, 0.98, 0.99};
    private static final double[] OVERLAPS = {0.3, 0.4, 0.5, 0.6, 0.7, 0.8};

    @Mixin
    HeldOutPrompts held;
    @Option(names = "--prompts", defaultValue = "20", paramLabel = "N", description = "Paragraph openings (default ${DEFAULT-VALUE}).")
    int prompts;
    @Option(names = "--max-sentences", defaultValue = "32", paramLabel = "N", description = "Generated per prompt (default ${DEFAULT-VALUE}).")
    int maxSentences;
    @Option(names = "--beam", defaultValue = "5", paramLabel = "B", description = "Beam size; 1 = greedy (default ${DEFAULT-VALUE}).")
    int beam;
    @Option(names = "--examples", defaultValue = "8", paramLabel = "N", description = "Closest distinct pairs shown (default ${DEFAULT-VALUE}).")
    int examples;

    /** One generated sentence after the first: its closest earlier sentence. */
    private record Step(int prompt, int index, boolean verbatim, double maxCosine, double maxOverlap, String text,
            String closest) {}

    @Override
    protected int run() {
        if (maxSentences < 2 || examples < 0) {
            throw new InvalidInputException("expected --max-sentences >= 2 and --examples >= 0, found " + maxSentences + ", "
                    + examples);
        }
        List<String> openings = held.openings(prompts);
        Path bundle = held.bundle();
        try (SonarLlm llm = SonarLlm.load(bundle)) {
            GenerationOptions o = llm.generator().defaultOptions().toBuilder()
                    .decoding(decoding(beam, defaultMaxTokens(llm)))
                    .stopCriterion(StopRules.paper().withMaxSentences(maxSentences)).build();
            List<GenerationResult> results = llm.generator(BatchOptions.of(16, 1)).generateAll(openings, o);
            Map<String, Object> report = report(results);
            report.put("held_out_text", reference(held.paragraphs(), maxSentences));
            json().write(report);
        }
        return 0;
    }

    private Map<String, Object> report(List<GenerationResult> results) {
        List<Step> steps = new ArrayList<>();
        int sentences = 0;
        int distinctTexts = 0;
        for (int p = 0; p < results.size(); p++) {
            List<GeneratedSentence> s = results.get(p).sentences();
            sentences += s.size();
            distinctTexts += (int) s.stream().map(x -> x.text().strip()).distinct().count();
            for (int k = 1; k < s.size(); k++) {
                double best = Double.NEGATIVE_INFINITY;
                int at = -1;
                boolean verbatim = false;
                for (int i = 0; i < k; i++) {
                    double c = Vectors.cosine(s.get(k).feedbackEmbedding(), s.get(i).feedbackEmbedding());
                    verbatim |= s.get(i).text().strip().equals(s.get(k).text().strip());
                    if (c > best) {
                        best = c;
                        at = i;
                    }
                }
                double overlap = WordPairs.maxOverlap(s.get(k).text(),
                        s.subList(0, k).stream().map(GeneratedSentence::text).toList());
                steps.add(new Step(p, k, verbatim, best, overlap, s.get(k).text(), s.get(at).text()));
            }
        }
        double[] distinct = steps.stream().filter(x -> !x.verbatim()).mapToDouble(Step::maxCosine).sorted().toArray();
        double[] repeats = steps.stream().filter(Step::verbatim).mapToDouble(Step::maxCosine).sorted().toArray();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("prompts", results.size());
        o.put("sentences", sentences);
        o.put("distinct_texts", distinctTexts);
        o.put("later_sentences", steps.size());
        o.put("verbatim_repeats", repeats.length);
        o.put("distinct_max_cosine", quantiles(distinct));
        o.put("repeat_max_cosine", quantiles(repeats));
        List<Map<String, Object>> th = new ArrayList<>();
        for (double t : THRESHOLDS) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("threshold", t);
            m.put("distinct_at_or_above", Arrays.stream(distinct).filter(c -> c >= t).count());
            m.put("mean_kept_drop_and_stop", meanKept(results, steps, x -> x.maxCosine() >= t));
            th.add(m);
        }
        o.put("thresholds", th);
        double[] distinctOverlap = steps.stream().filter(x -> !x.verbatim()).mapToDouble(Step::maxOverlap).sorted().toArray();
        o.put("distinct_max_overlap", quantiles(distinctOverlap));
        List<Map<String, Object>> ov = new ArrayList<>();
        for (double t : OVERLAPS) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("overlap", t);
            m.put("distinct_above", Arrays.stream(distinctOverlap).filter(c -> c > t).count());
            m.put("mean_kept_drop_and_stop", meanKept(results, steps, x -> x.maxOverlap() > t));
            ov.add(m);
        }
        o.put("overlaps", ov);
        o.put("closest_distinct", steps.stream().filter(x -> !x.verbatim())
                .sorted(Comparator.comparingDouble(Step::maxCosine).reversed()).limit(examples)
                .map(x -> Map.of("cosine", EvalGenerationCommand.round(x.maxCosine()),
                        "overlap", EvalGenerationCommand.round(x.maxOverlap()), "sentence", x.text(),
                        "earlier", x.closest())).toList());
        return o;
    }

    /** Sentences a drop-and-stop on {@code repeats} (or a verbatim repeat) would keep, averaged over prompts. */
    private static double meanKept(List<GenerationResult> results, List<Step> steps, Predicate<Step> repeats) {
        double sum = 0;
        for (int p = 0; p < results.size(); p++) {
            int kept = results.get(p).sentences().size();
            for (Step s : steps) {
                if (s.prompt() == p && (s.verbatim() || repeats.test(s)) && s.index() < kept) {
                    kept = s.index();
                }
            }
            sum += kept;
        }
        return EvalGenerationCommand.round(sum / results.size());
    }

    /**
     * @param paragraphs held-out paragraphs as sentences
     * @param window sentences per paragraph considered
     * @return the word-pair overlap of real prose: quantiles, and the share above each candidate overlap
     */
    static Map<String, Object> reference(List<List<String>> paragraphs, int window) {
        List<Double> all = new ArrayList<>();
        for (List<String> p : paragraphs) {
            for (int k = 1; k < Math.min(p.size(), window); k++) {
                all.add(WordPairs.maxOverlap(p.get(k), p.subList(0, k)));
            }
        }
        double[] sorted = all.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("later_sentences", sorted.length);
        o.put("max_overlap", quantiles(sorted));
        List<Map<String, Object>> ov = new ArrayList<>();
        for (double t : OVERLAPS) {
            long above = Arrays.stream(sorted).filter(c -> c > t).count();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("overlap", t);
            m.put("above", above);
            m.put("share_above", EvalGenerationCommand.round(sorted.length == 0 ? 0 : above / (double) sorted.length));
            ov.add(m);
        }
        o.put("overlaps", ov);
        return o;
    }

    private static Map<String, Object> quantiles(double[] sorted) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", sorted.length);
        if (sorted.length > 0) {
            for (double q : new double[] {0, 0.5, 0.9, 0.95, 0.99, 1}) {
                String name = q == 0 ? "min" : q == 1 ? "max" : "p" + Math.round(q * 100);
                m.put(name, EvalGenerationCommand.round(sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))]));
            }
        }
        return m;
    }
}
