package org.sonarllm.cli;

import java.io.BufferedReader;
import java.util.ArrayList;
import java.util.List;
import org.sonarllm.InvalidInputException;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm encode --model BUNDLE --lang L}: one sentence per stdin line; prints
 * {@code {"text": ..., "embedding": [...]}} per line, in input order.
 *
 * <pre>{@code
 * echo "Hello there." | ./sonarllm encode --model bundle --lang eng_Latn
 * {"text":"Hello there.","embedding":[0.0123,...]}
 * }</pre>
 */
@Command(name = "encode", mixinStandardHelpOptions = true,
        description = "Encode one sentence per stdin line into a SONAR embedding: one JSON line {text, embedding} each.")
final class EncodeCommand extends CliCommand {
    @Mixin
    RuntimeMixin runtime;

    @Option(names = "--lang", required = true, converter = LanguageConverter.class,
            description = "Language of the input sentences (FLORES-200 code, e.g. eng_Latn).")
    Language lang;

    /** One output line. */
    record Line(String text, float[] embedding) {}

    @Override
    protected int run() throws Exception {
        try (SonarLlm llm = runtime.load(); BufferedReader r = stdinLines()) {
            List<String> batch = new ArrayList<>();
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    throw new InvalidInputException("stdin line " + n + ": expected a sentence, found an empty line");
                }
                batch.add(line);
                if (batch.size() >= runtime.batchSize) {
                    flush(llm, batch);
                }
            }
            flush(llm, batch);
        }
        return 0;
    }

    private void flush(SonarLlm llm, List<String> batch) {
        if (batch.isEmpty()) {
            return;
        }
        List<float[]> vs = llm.encoder().encode(batch, lang);
        for (int i = 0; i < batch.size(); i++) {
            json().write(new Line(batch.get(i), vs.get(i)));
        }
        batch.clear();
    }
}
