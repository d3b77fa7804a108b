package org.sonarllm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sonarllm.InvalidInputException;
import org.sonarllm.bundle.DefaultBundle;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.generate.ContextPolicy;
import org.sonarllm.generate.FeedbackMode;
import org.sonarllm.generate.GeneratedSentence;
import org.sonarllm.generate.GenerationListener;
import org.sonarllm.generate.GenerationOptions;
import org.sonarllm.generate.GenerationResult;
import org.sonarllm.generate.StopCriterion;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.segment.Segment;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sonarllm generate}: continues a prompt sentence by sentence with SONAR-LLM. Plain output
 * prints each generated sentence on its own line as soon as it is decoded; {@code --json} prints one
 * object {@code {"prompt": [{"text"}], "sentences": [{"text", "ids", "eos_cosine", "embedding"}],
 * "stop_reason"}} ({@code embedding} is the concept LM's predicted vector).
 *
 * <pre>{@code
 * ./sonarllm generate --model bundle --greedy --max-sentences 5 "Once upon a time there was a king."
 * echo "It was a dark and stormy night." | ./sonarllm generate --json
 * }</pre>
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue a prompt (arguments, or stdin when none) sentence by sentence.")
final class GenerateCommand extends CliCommand {
    @Option(names = "--model", paramLabel = "BUNDLE",
            description = "Model bundle with a concept LM (default: $SONARLLM_MODEL, else the embedded default model).")
    Path model;

    @Option(names = "--lang", converter = LanguageConverter.class, defaultValue = "eng_Latn",
            description = "Prompt language (default ${DEFAULT-VALUE}).")
    Language lang;

    @Option(names = "--output-lang", converter = LanguageConverter.class,
            description = "Language of the generated sentences (default: --lang).")
    Language outputLang;

    static final class Search {
        @Option(names = "--greedy", description = "Greedy decoding.")
        boolean greedy;
        @Option(names = "--beam", paramLabel = "N", description = "Beam search with N beams (default 5).")
        Integer beam;
        @Option(names = "--sample", description = "Sampling (see --seed, --temperature, --top-p).")
        boolean sample;
    }

    @ArgGroup(exclusive = true)
    Search search = new Search();

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature (default ${DEFAULT-VALUE}).")
    double temperature;
    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus sampling mass (default ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--max-tokens", paramLabel = "N",
            description = "Most tokens per sentence (default 128, or what the model's positions allow).")
    Integer maxTokens;
    @Option(names = "--max-sentences", defaultValue = "32", paramLabel = "N",
            description = "Most generated sentences (default ${DEFAULT-VALUE}).")
    int maxSentences;
    @Option(names = "--stop-threshold", defaultValue = "0.98", paramLabel = "X",
            description = "Stop when a sentence's cosine to the bundle's end-of-sequence sentence reaches X, in [-1, 1] "
                    + "(default ${DEFAULT-VALUE}).")
    double stopThreshold;
    @Option(names = "--feedback", defaultValue = "REENCODE",
            description = "REENCODE (decode, re-encode; default) or PREDICTED_EMBEDDING (LCM style).")
    FeedbackMode feedback;
    @Option(names = "--context-limit", defaultValue = "0", paramLabel = "N",
            description = "Most sentences (prompt + generated) in context; 0 = the model's limit.")
    int contextLimit;
    @Option(names = "--keep-last", description = "Drop the oldest prompt sentences that do not fit (default: fail).")
    boolean keepLast;
    @Option(names = "--json", description = "Print one JSON object instead of streaming lines.")
    boolean jsonOut;

    @Parameters(paramLabel = "PROMPT", arity = "0..*", description = "The prompt (joined with spaces); stdin if absent.")
    List<String> prompt = new ArrayList<>();

    @Override
    protected int run() {
        String text = prompt.isEmpty() ? stdinText() : String.join(" ", prompt);
        if (text.isBlank()) {
            throw new InvalidInputException("prompt must contain text, got " + (text.isEmpty() ? "nothing" : "only white space"));
        }
        GenerationOptions options = options(DecodingOptions.DEFAULT_MAX_TOKENS);
        try (SonarLlm llm = SonarLlm.load(resolveModel())) {
            if (maxTokens == null) {
                int room = llm.manifest().dimensions().maxPositions() - 2;
                options = options(Math.max(1, Math.min(DecodingOptions.DEFAULT_MAX_TOKENS, room)));
            }
            GenerationListener listener = jsonOut ? GenerationListener.NONE : s -> {
                main.out.println(s.text());
                main.out.flush();
            };
            GenerationResult r = llm.generator().generate(text, options, listener);
            if (jsonOut) {
                json().write(toJson(r));
            }
        }
        return 0;
    }

    private Path resolveModel() {
        if (model != null) {
            if (!Files.isDirectory(model)) {
                throw new UsageException("model bundle directory not found: " + model);
            }
            return model;
        }
        return DefaultBundle.locate().orElseThrow(() -> new UsageException("no model: pass --model BUNDLE, set "
                + DefaultBundle.ENV + ", or put " + DefaultBundle.ARTIFACT + " on the class path"));
    }

    GenerationOptions options(int defaultMaxTokens) {
        DecodingOptions d;
        if (search.greedy) {
            d = DecodingOptions.greedy();
        } else if (search.sample) {
            d = DecodingOptions.sampling(temperature, 0, topP, seed);
        } else {
            d = DecodingOptions.beam(search.beam == null ? 5 : search.beam);
        }
        return GenerationOptions.builder()
                .inputLanguage(lang)
                .outputLanguage(outputLang == null ? lang : outputLang)
                .decoding(d.withMaxTokens(maxTokens == null ? defaultMaxTokens : maxTokens))
                .stopCriterion(StopCriterion.eosCosineAtLeast(stopThreshold).or(StopCriterion.maxSentences(maxSentences)))
                .feedback(feedback)
                .contextLimit(contextLimit)
                .contextPolicy(keepLast ? ContextPolicy.KEEP_LAST : ContextPolicy.FAIL)
                .build();
    }

    static Map<String, Object> toJson(GenerationResult r) {
        Map<String, Object> o = new LinkedHashMap<>();
        List<Map<String, Object>> p = new ArrayList<>();
        for (Segment s : r.prompt()) {
            p.add(Map.of("text", s.text()));
        }
        o.put("prompt", p);
        List<Map<String, Object>> ss = new ArrayList<>();
        for (GeneratedSentence s : r.sentences()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("text", s.text());
            m.put("ids", s.ids());
            m.put("eos_cosine", s.eosCosine());
            m.put("embedding", s.predictedEmbedding());
            ss.add(m);
        }
        o.put("sentences", ss);
        o.put("stop_reason", r.stopReason());
        return o;
    }
}
