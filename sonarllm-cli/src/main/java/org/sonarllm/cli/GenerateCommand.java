package org.sonarllm.cli;

import java.io.BufferedReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.generate.BatchOptions;
import org.sonarllm.generate.GeneratedSentence;
import org.sonarllm.generate.GenerationOptions;
import org.sonarllm.generate.GenerationResult;
import org.sonarllm.generate.Generator;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.segment.Segment;
import org.sonarllm.segment.SentenceSegmenters;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sonarllm generate}: continues a prompt sentence by sentence with SONAR-LLM. Plain output
 * shows the prompt's sentences on stderr (prefixed {@code > }), prints each generated sentence on
 * stdout as soon as it is decoded, and ends with the stop reason on stderr, so that stdout holds the
 * continuation only. {@code --json} prints one object {@code {"prompt": [{"text"}], "sentences":
 * [{"text", "ids", "eos_cosine", "embedding"}], "stop_reason"}} ({@code embedding} is the concept LM's
 * predicted vector). {@code --batch} reads one prompt per stdin line and prints one such object per
 * prompt, in input order, generating {@code --batch-size} prompts together. Unset stop and begin
 * options take the model's defaults (docs/generation.md).
 *
 * <pre>{@code
 * ./sonarllm generate --model bundle --greedy --max-sentences 5 "Once upon a time there was a king."
 * printf 'It rained.\nMr. Darcy bowed.\n' | ./sonarllm generate --batch --batch-size 16
 * }</pre>
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue a prompt (arguments, or stdin when none) sentence by sentence; --batch: one prompt per stdin line.")
final class GenerateCommand extends CliCommand {
    @Option(names = "--model", paramLabel = "BUNDLE",
            description = "Model bundle with a concept LM (default: $SONARLLM_MODEL, else the embedded default model).")
    Path model;

    @Mixin
    GenerationFlags flags = new GenerationFlags();

    @Option(names = "--json", description = "Print one JSON object instead of streaming lines.")
    boolean jsonOut;
    @Option(names = "--batch", description = "Read one prompt per stdin line; print one JSON object per prompt, in order.")
    boolean batch;
    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "" + BatchOptions.DEFAULT_BATCH_SIZE,
            description = "With --batch: prompts generated together, 1.." + BatchOptions.MAX_BATCH_SIZE
                    + " (1 = one at a time; default ${DEFAULT-VALUE}).")
    int batchSize;
    @Option(names = "--batch-threads", paramLabel = "N", defaultValue = "1",
            description = "With --batch: batches run at a time, 1.." + BatchOptions.MAX_THREADS + " (default ${DEFAULT-VALUE}).")
    int batchThreads;

    @Parameters(paramLabel = "PROMPT", arity = "0..*", description = "The prompt (joined with spaces); stdin if absent.")
    List<String> prompt = new ArrayList<>();

    @Override
    protected int run() throws Exception {
        BatchOptions batching = BatchOptions.of(batchSize, batchThreads);
        if (batch && !prompt.isEmpty()) {
            throw new UsageException("--batch reads the prompts from stdin, one per line; found prompt arguments");
        }
        String text = batch ? null : prompt.isEmpty() ? stdinText() : String.join(" ", prompt);
        if (text != null && text.isBlank()) {
            throw new InvalidInputException("prompt must contain text, got " + (text.isEmpty() ? "nothing" : "only white space"));
        }
        flags.check();
        try (SonarLlm llm = SonarLlm.load(HeldOutPrompts.bundleOrDefault(model))) {
            Generator generator = llm.generator(batching);
            int room = llm.manifest().dimensions().maxPositions() - 2;
            GenerationOptions options = flags.apply(generator.defaultOptions(),
                    Math.max(1, Math.min(DecodingOptions.DEFAULT_MAX_TOKENS, room)));
            if (batch) {
                return runBatch(generator, options, batching);
            }
            if (jsonOut) {
                json().write(toJson(generator.generate(text, options)));
                return 0;
            }
            return runPlain(generator, text, options);
        }
    }

    private int runPlain(Generator generator, String text, GenerationOptions options) {
        long t0 = System.nanoTime();
        List<String> sentences = SentenceSegmenters.forLanguage(options.inputLanguage()).segment(text).stream()
                .map(Segment::text).toList();
        sentences.forEach(s -> stderr().println("> " + s));
        stderr().flush();
        GenerationResult r = generator.generateSentences(sentences, options, s -> {
            main.out.println(s.text());
            main.out.flush();
        });
        stderr().printf("(stopped: %s after %d sentence%s, %.1f s)%n", r.stopReason(), r.sentences().size(),
                r.sentences().size() == 1 ? "" : "s", (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private int runBatch(Generator generator, GenerationOptions options, BatchOptions batching) throws Exception {
        BufferedReader in = stdinLines();
        int chunk = batching.batchSize() * batching.threads();
        List<String> pending = new ArrayList<>(chunk);
        int lineNo = 0;
        String line;
        while ((line = in.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) {
                throw new InvalidInputException("stdin line " + lineNo + ": expected a prompt, found "
                        + (line.isEmpty() ? "an empty line" : "only white space"));
            }
            pending.add(line);
            if (pending.size() == chunk) {
                writeAll(generator.generateAll(pending, options));
                pending.clear();
            }
        }
        if (lineNo == 0) {
            throw new InvalidInputException("--batch expected at least one prompt line on stdin, found none");
        }
        writeAll(generator.generateAll(pending, options));
        return 0;
    }

    private void writeAll(List<GenerationResult> results) {
        for (GenerationResult r : results) {
            json().write(toJson(r));
        }
        main.out.flush();
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
