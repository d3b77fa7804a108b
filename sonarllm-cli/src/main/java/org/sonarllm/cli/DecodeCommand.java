package org.sonarllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.decode.DecodingStrategy;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm decode --model BUNDLE --lang L [--greedy | --beam N | --sample] [--max-tokens N]}:
 * one {@code {"embedding": [...]}} object per stdin line; prints {@code {"text": ..., "ids": [...],
 * "score": x}} per line, in input order. Default search: beam 5, as SONAR.
 *
 * <pre>{@code
 * ./sonarllm encode --model b --lang eng_Latn < in.txt | ./sonarllm decode --model b --lang fra_Latn --beam 5
 * }</pre>
 */
@Command(name = "decode", mixinStandardHelpOptions = true,
        description = "Decode one JSON line {embedding} per stdin line into text: one JSON line {text, ids, score} each.")
final class DecodeCommand extends CliCommand {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Mixin
    RuntimeMixin runtime;

    @Option(names = "--lang", required = true, converter = LanguageConverter.class,
            description = "Output language (FLORES-200 code); another language than the source translates.")
    Language lang;

    @ArgGroup(exclusive = true)
    Search search;

    static final class Search {
        @Option(names = "--greedy", description = "Greedy search.")
        boolean greedy;

        @Option(names = "--beam", paramLabel = "N", description = "Beam search with N beams (default search: beam 5).")
        Integer beam;

        @Option(names = "--sample", description = "Sampling; see --temperature, --top-k, --top-p, --seed.")
        boolean sample;
    }

    @Mixin
    LexiconFlag lexicon = new LexiconFlag();

    @Option(names = "--max-tokens", defaultValue = "128",
            description = "Most tokens generated per sentence, final </s> included (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Sampling top-k, 0 disables (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Sampling top-p, 1 disables (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    /** One output line. */
    record Line(String text, int[] ids, double score) {}

    DecodingOptions options() {
        DecodingStrategy s;
        if (search != null && search.greedy) {
            s = new DecodingStrategy.Greedy();
        } else if (search != null && search.sample) {
            s = new DecodingStrategy.Sampling(temperature, topK, topP, seed);
        } else {
            s = new DecodingStrategy.Beam(search != null && search.beam != null ? search.beam : 5, 1.0);
        }
        return new DecodingOptions(s, maxTokens);
    }

    @Override
    protected int run() throws Exception {
        DecodingOptions plain = options();
        try (SonarLlm llm = runtime.load(); BufferedReader r = stdinLines()) {
            DecodingOptions o = lexicon.apply(plain, llm.lexicon().orElse(null));
            List<float[]> batch = new ArrayList<>();
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                batch.add(parse(line, n, llm.decoder().dimension()));
                if (batch.size() >= runtime.batchSize) {
                    flush(llm, batch, o);
                }
            }
            flush(llm, batch, o);
        }
        return 0;
    }

    static float[] parse(String line, int n, int dim) {
        JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (IOException e) {
            throw new InvalidInputException("stdin line " + n + ": expected a JSON object, found invalid JSON");
        }
        JsonNode e = node == null ? null : node.get("embedding");
        if (e == null || !e.isArray()) {
            throw new InvalidInputException("stdin line " + n + ": expected {\"embedding\": [numbers]}, found "
                    + (node == null ? "nothing" : "no embedding array"));
        }
        if (e.size() != dim) {
            throw new InvalidInputException("stdin line " + n + ": expected an embedding of dimension " + dim
                    + ", found " + e.size());
        }
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            JsonNode x = e.get(i);
            if (!x.isNumber()) {
                throw new InvalidInputException("stdin line " + n + ": expected numbers, found " + x + " at index " + i);
            }
            v[i] = x.floatValue();
            if (!Float.isFinite(v[i])) {
                throw new InvalidInputException("stdin line " + n + ": expected finite values, found " + x
                        + " at index " + i);
            }
        }
        return v;
    }

    private void flush(SonarLlm llm, List<float[]> batch, DecodingOptions o) {
        if (batch.isEmpty()) {
            return;
        }
        for (DecodedSentence d : llm.decoder().decode(batch, lang, o)) {
            json().write(new Line(d.text(), d.ids(), d.score()));
        }
        batch.clear();
    }
}
