package org.sonarllm.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sonarllm.InvalidInputException;
import org.sonarllm.generate.BatchOptions;
import org.sonarllm.generate.GenerationOptions;
import org.sonarllm.generate.GenerationResult;
import org.sonarllm.generate.Generator;
import org.sonarllm.generate.SentenceSampling;
import org.sonarllm.generate.StopRules;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.runtime.RuntimeOptions;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.training.data.CorpusReader;
import org.sonarllm.training.eval.NextSentenceEvaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm bench-batch}: whole-loop generation throughput of batched {@code generateAll}
 * against one prompt at a time, and the overhead of sentence-level sampling, in one sitting. Every
 * prompt (the opening sentences of held-out paragraphs) generates exactly {@code --sentences}
 * sentences (end-of-sequence and repetition stops off), so every configuration does the same work.
 * Configurations alternate within each repeat; the median wall time of each is reported, with
 * generated sentences per second and the ratio to the reference (one prompt at a time, one thread).
 *
 * <pre>{@code
 * ./sonarllm bench-batch --corpus data/austen/persuasion.txt --prompts 1,4,16 --repeats 5
 * }</pre>
 */
@Command(name = "bench-batch", mixinStandardHelpOptions = true,
        description = "Batched generateAll vs one prompt at a time, and sentence-sampling overhead (whole loop).")
final class BenchBatchCommand extends CliCommand {
    @Option(names = "--model", paramLabel = "BUNDLE", description = "Bundle (default: the embedded default model).")
    Path model;
    @Option(names = "--corpus", required = true, paramLabel = "PATH", description = "Paragraphs whose openings are the prompts.")
    Path corpus;
    @Option(names = "--prompts", defaultValue = "1,4,16", split = ",", paramLabel = "N,...",
            description = "Prompt counts (default ${DEFAULT-VALUE}).")
    int[] promptCounts;
    @Option(names = "--sentences", defaultValue = "8", paramLabel = "N", description = "Sentences per prompt (default ${DEFAULT-VALUE}).")
    int sentences;
    @Option(names = "--beam", defaultValue = "5", paramLabel = "B", description = "Beam size; 1 = greedy (default ${DEFAULT-VALUE}).")
    int beam;
    @Option(names = "--repeats", defaultValue = "3", paramLabel = "N", description = "Timed repeats (default ${DEFAULT-VALUE}).")
    int repeats;
    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "ONNX Runtime intra-op threads; 0 = its default (default ${DEFAULT-VALUE}).")
    int threads;
    @Option(names = "--sampling", description = "Also time sentence-level sampling (best of 1 and 4) against none.")
    boolean sampling;

    /** One timed configuration. */
    private record Config(String mode, int prompts, BatchOptions batching, SentenceSampling sampling) {}

    @Override
    protected int run() {
        if (sentences < 1 || repeats < 1 || Arrays.stream(promptCounts).anyMatch(n -> n < 1 || n > BatchOptions.MAX_BATCH_SIZE)) {
            throw new InvalidInputException("expected --sentences >= 1, --repeats >= 1 and prompt counts in 1.."
                    + BatchOptions.MAX_BATCH_SIZE);
        }
        int most = Arrays.stream(promptCounts).max().orElseThrow();
        List<String> prompts = prompts(most);
        Path bundle = HeldOutPrompts.bundleOrDefault(model);
        int decoderBatch = Math.max(RuntimeOptions.defaults().decoderBatchSize(), most * 4);
        try (SonarLlm llm = SonarLlm.load(bundle, RuntimeOptions.builder().intraOpThreads(threads)
                .decoderBatchSize(Math.min(decoderBatch, 4096)).build())) {
            GenerationOptions base = GenerationOptions.builder()
                    .decoding(decoding(beam, defaultMaxTokens(llm)))
                    .stopCriterion(StopRules.paper().withEos(StopRules.EosTest.OFF, 0).withMaxSentences(sentences))
                    .build();
            List<Config> configs = new ArrayList<>();
            for (int n : promptCounts) {
                configs.add(new Config("sequential", n, BatchOptions.SEQUENTIAL, SentenceSampling.OFF));
                if (n > 1) {
                    configs.add(new Config("threads", n, BatchOptions.of(1, 2), SentenceSampling.OFF));
                    configs.add(new Config("batched", n, BatchOptions.of(n, 1), SentenceSampling.OFF));
                    if (n >= 4) {
                        configs.add(new Config("batched-2-threads", n, BatchOptions.of(n / 2, 2), SentenceSampling.OFF));
                    }
                }
            }
            if (sampling) {
                configs.add(new Config("sampling-off", most, BatchOptions.of(most, 1), SentenceSampling.OFF));
                configs.add(new Config("sampling-1", most, BatchOptions.of(most, 1), SentenceSampling.of(1.0, 1L)));
                configs.add(new Config("best-of-4", most, BatchOptions.of(most, 1), SentenceSampling.bestOf(4, 1.0, 1L)));
            }
            // warm-up: every configuration once
            for (Config c : configs) {
                time(llm, c, prompts, base);
            }
            long[][] nanos = new long[configs.size()][repeats];
            int[] generated = new int[configs.size()];
            for (int r = 0; r < repeats; r++) {
                for (int i = 0; i < configs.size(); i++) {
                    long t = System.nanoTime();
                    generated[i] = time(llm, configs.get(i), prompts, base);
                    nanos[i][r] = System.nanoTime() - t;
                }
            }
            for (int i = 0; i < configs.size(); i++) {
                Config c = configs.get(i);
                double median = median(nanos[i]) / 1e9;
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("mode", c.mode());
                o.put("prompts", c.prompts());
                o.put("batch_size", c.batching().batchSize());
                o.put("batch_threads", c.batching().threads());
                o.put("sentences", generated[i]);
                o.put("median_s", Math.round(median * 1000) / 1000.0);
                o.put("sentences_per_s", Math.round(generated[i] / median * 100) / 100.0);
                int ref = reference(configs, c);
                if (ref >= 0) {
                    o.put("vs_" + configs.get(ref).mode(), Math.round(median(nanos[ref]) / median(nanos[i]) * 100) / 100.0);
                }
                json().write(o);
            }
        }
        return 0;
    }

    /** @return the configuration a row is compared with: sequential for the same count, or sampling-off */
    private static int reference(List<Config> configs, Config c) {
        String want = c.mode().startsWith("sampling") || c.mode().equals("best-of-4") ? "sampling-off" : "sequential";
        for (int i = 0; i < configs.size(); i++) {
            Config r = configs.get(i);
            if (r != c && r.mode().equals(want) && r.prompts() == c.prompts()) {
                return i;
            }
        }
        return -1;
    }

    private static int time(SonarLlm llm, Config c, List<String> prompts, GenerationOptions base) {
        Generator g = llm.generator(c.batching());
        List<GenerationResult> rs = g.generateAll(prompts.subList(0, c.prompts()),
                base.toBuilder().sentenceSampling(c.sampling()).build());
        return rs.stream().mapToInt(r -> r.sentences().size()).sum();
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }

    private List<String> prompts(int n) {
        List<List<String>> docs = NextSentenceEvaluator.documents(CorpusReader.read(corpus),
                SentenceSegmenters.forLanguage(Language.ENGLISH));
        if (docs.size() < n) {
            throw new InvalidInputException("expected at least " + n + " paragraphs of 2+ sentences in " + corpus
                    + ", found " + docs.size());
        }
        return NextSentenceEvaluator.sample(docs, n, 3L).stream().map(d -> String.join(" ", d.subList(0, 2))).toList();
    }
}
