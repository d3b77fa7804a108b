package org.sonarllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sonarllm.InvalidInputException;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.segment.SentenceSegmenter;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.training.data.CorpusReader;
import org.sonarllm.training.data.DocumentEncoder;
import org.sonarllm.training.eval.LossEvaluator;
import org.sonarllm.training.model.Objective;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm eval-loss --model BUNDLE --objective ce|mse}: documents on stdin as JSON lines
 * {@code {"sentences": [...]}}; the bundle's end-of-sequence sentence is appended as in training (its
 * decoder target in English, whatever {@code --lang}); prints {@code {"loss": x, "tokens": n}} (tokens: CE
 * target tokens, or predicted sentences for MSE), computed by {@link LossEvaluator}.
 *
 * <pre>{@code
 * echo '{"sentences": ["It rained.", "We stayed in."]}' | ./sonarllm eval-loss --model my-bundle
 * }</pre>
 */
@Command(name = "eval-loss", mixinStandardHelpOptions = true,
        description = "Concept-LM loss of documents ({\"sentences\": [...]} per stdin line): prints {loss, tokens}.")
final class EvalLossCommand extends Nd4jCommand {
    @Option(names = "--model", required = true, paramLabel = "BUNDLE") Path bundle;
    @Option(names = "--objective", defaultValue = "ce") String objective;
    @Option(names = "--lm", paramLabel = "DIR",
            description = "SONAR-LLM checkpoint (config.json + model.safetensors; default: the bundle's concept LM).") Path lm;
    @Option(names = "--lang", defaultValue = "eng_Latn", converter = LanguageConverter.class) Language lang;
    @Option(names = "--batch-size", defaultValue = "8") int batchSize;

    @Override
    protected int body() throws Exception {
        Objective obj = Objective.parse(objective);
        if (batchSize < 1) {
            throw new UsageException("expected --batch-size >= 1, found " + batchSize);
        }
        if (!Files.isDirectory(bundle)) {
            throw new UsageException("bundle directory not found: " + bundle);
        }
        if (lm != null && !Files.isDirectory(lm)) {
            throw new UsageException("concept LM checkpoint not found: " + lm);
        }
        List<List<String>> documents = new ArrayList<>();
        ObjectMapper om = new ObjectMapper();
        SentenceSegmenter segmenter = SentenceSegmenters.forLanguage(lang);
        try (BufferedReader r = stdinLines()) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (!line.isBlank()) {
                    CorpusReader.RawDocument d = CorpusReader.parseLine(om, line, "stdin line " + n);
                    List<String> given = d.sentences() == null ? List.of() : d.sentences();
                    for (int i = 0; i < given.size(); i++) {
                        if (given.get(i) == null || given.get(i).isBlank()) {
                            throw new InvalidInputException("stdin line " + n + ": expected non-blank sentences, found "
                                    + "a blank sentence at index " + i);
                        }
                    }
                    List<String> s = d.sentences() == null ? List.of() : d.split(segmenter);
                    if (s.isEmpty()) {
                        throw new InvalidInputException("stdin line " + n + ": expected a non-empty \"sentences\" array");
                    }
                    documents.add(s);
                }
            }
        }
        if (documents.isEmpty()) {
            throw new InvalidInputException("expected at least one document on stdin, found none");
        }
        try (SonarLlm llm = SonarLlm.load(bundle)) {
            DocumentEncoder encoder = DocumentEncoder.forBundle(llm, lang);
            LossEvaluator.Result r = (lm != null ? LossEvaluator.load(bundle, lm, obj, batchSize)
                    : LossEvaluator.load(bundle, obj, batchSize))
                    .evaluate(encoder.encode(documents).documents());
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("loss", r.loss());
            o.put("tokens", (long) r.weight());
            json().write(o);
        }
        return 0;
    }
}
