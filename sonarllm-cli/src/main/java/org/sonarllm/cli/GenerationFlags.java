package org.sonarllm.cli;

import java.time.Duration;
import java.util.Locale;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.generate.ContextPolicy;
import org.sonarllm.generate.FeedbackMode;
import org.sonarllm.generate.GenerationOptions;
import org.sonarllm.generate.SentenceSampling;
import org.sonarllm.generate.StopRules;
import org.sonarllm.lang.Language;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The generation options of {@code sonarllm generate} as flags. Flags left unset keep the model's
 * defaults ({@code Generator.defaultOptions()}: the bundle's stop rules and begin sentence); the
 * API validates every value, so a bad one is an {@link InvalidInputException} (exit 2).
 *
 * <pre>{@code
 * GenerationOptions o = flags.apply(generator.defaultOptions(), 128);
 * }</pre>
 */
final class GenerationFlags {
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
        @Option(names = "--sample", description = "Token sampling (see --seed, --temperature, --top-p).")
        boolean sample;
    }

    @ArgGroup(exclusive = true)
    Search search = new Search();

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed, tokens and sentences (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--temperature", defaultValue = "1.0", description = "Token sampling temperature (default ${DEFAULT-VALUE}).")
    double temperature;
    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus sampling mass (default ${DEFAULT-VALUE}).")
    double topP;
    @Mixin
    LexiconFlag lexicon = new LexiconFlag();

    @Option(names = "--max-tokens", paramLabel = "N",
            description = "Most tokens per sentence (default 128, or what the model's positions allow).")
    Integer maxTokens;

    @Option(names = "--max-sentences", paramLabel = "N", description = "Most generated sentences (default: the model's, 32).")
    Integer maxSentences;
    @Option(names = "--min-sentences", paramLabel = "N",
            description = "Ignore end-of-sequence and repetition stops before N sentences (default: the model's, 0).")
    Integer minSentences;
    @Option(names = "--eos-test", paramLabel = "MODE",
            description = "reencoded (the re-encoded sentence, SONAR-LLM), predicted (the predicted vector, LCM) or off"
                    + " (default: the model's, reencoded).")
    String eosTest;
    @Option(names = "--stop-threshold", paramLabel = "X",
            description = "End-of-sequence cosine threshold in [-1, 1] (default: the model's, 0.98; LCM uses 0.9 on predicted).")
    Double stopThreshold;
    @Option(names = "--repetition", paramLabel = "MODE",
            description = "off, keep_and_stop or drop_and_stop: what a sentence repeating an earlier one does"
                    + " (default: the model's).")
    String repetition;
    @Option(names = "--repetition-threshold", paramLabel = "X",
            description = "Cosine with an earlier sentence that counts as a repetition, in [-1, 1] (default: the model's).")
    Double repetitionThreshold;
    @Option(names = "--repetition-overlap", paramLabel = "X",
            description = "Share of a sentence's word pairs found in one earlier sentence above which it counts as a"
                    + " repetition too, in [0, 1]; 1 = off (default: the model's).")
    Double repetitionOverlap;
    @Option(names = "--add-begin", negatable = true,
            description = "Start the sequence with \"Begin of text.\" (default: the model's).")
    Boolean addBegin;
    @Option(names = "--sentence-temperature", paramLabel = "T", defaultValue = "0",
            description = "Noise on each predicted vector, in rms units, 0.." + (int) SentenceSampling.MAX_TEMPERATURE
                    + " (default ${DEFAULT-VALUE}: none).")
    double sentenceTemperature;
    @Option(names = "--candidates", paramLabel = "N", defaultValue = "1",
            description = "Best of N noisy candidates per sentence (needs --sentence-temperature > 0), 1.."
                    + SentenceSampling.MAX_CANDIDATES + " (default ${DEFAULT-VALUE}).")
    int candidates;
    @Option(names = "--feedback", defaultValue = "REENCODE",
            description = "REENCODE (decode, re-encode; default) or PREDICTED_EMBEDDING (LCM style).")
    FeedbackMode feedback;
    @Option(names = "--context-limit", defaultValue = "0", paramLabel = "N",
            description = "Most sentences (prompt + generated) in context; 0 = the model's limit.")
    int contextLimit;
    @Option(names = "--keep-last", description = "Drop the oldest prompt sentences that do not fit (default: fail).")
    boolean keepLast;
    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "Stop after this many seconds (reason \"deadline\"; default: none).")
    Double timeout;

    /** Checks what the API cannot see (flag combinations). */
    void check() {
        if (timeout != null && !(timeout > 0 && timeout <= 1e7)) {
            throw new InvalidInputException("expected --timeout in (0, 10000000] seconds, found " + timeout);
        }
    }

    /**
     * @param base the model's default options
     * @param defaultMaxTokens the token limit when {@code --max-tokens} is absent
     * @return the options these flags give
     */
    GenerationOptions apply(GenerationOptions base, int defaultMaxTokens) {
        DecodingOptions d;
        if (search.greedy) {
            d = DecodingOptions.greedy();
        } else if (search.sample) {
            d = DecodingOptions.sampling(temperature, 0, topP, seed);
        } else {
            d = DecodingOptions.beam(search.beam == null ? 5 : search.beam);
        }
        StopRules rules = base.stopCriterion() instanceof StopRules r ? r : StopRules.paper();
        if (eosTest != null || stopThreshold != null) {
            rules = rules.withEos(eosTest == null ? rules.eosTest() : parse(StopRules.EosTest.class, eosTest, "--eos-test"),
                    stopThreshold == null ? rules.eosThreshold() : stopThreshold);
        }
        if (repetition != null || repetitionThreshold != null) {
            rules = rules.withRepetition(repetition == null ? rules.repetition()
                    : parse(StopRules.RepetitionAction.class, repetition, "--repetition"),
                    repetitionThreshold == null ? rules.repetitionThreshold() : repetitionThreshold);
        }
        if (repetitionOverlap != null) {
            rules = rules.withRepetitionOverlap(repetitionOverlap);
        }
        if (maxSentences != null) {
            rules = rules.withMaxSentences(maxSentences);
        }
        if (minSentences != null) {
            rules = rules.withMinSentences(minSentences);
        }
        return base.toBuilder()
                .inputLanguage(lang)
                .outputLanguage(outputLang == null ? lang : outputLang)
                .decoding(lexicon.apply(d.withMaxTokens(maxTokens == null ? defaultMaxTokens : maxTokens),
                        base.decoding().lexicon()))
                .stopCriterion(rules)
                .feedback(feedback)
                .contextLimit(contextLimit)
                .contextPolicy(keepLast ? ContextPolicy.KEEP_LAST : ContextPolicy.FAIL)
                .addBegin(addBegin == null ? base.addBegin() : addBegin)
                .sentenceSampling(new SentenceSampling(sentenceTemperature, candidates, seed))
                .timeout(timeout == null ? Duration.ZERO : Duration.ofNanos(Math.round(timeout * 1e9)))
                .build();
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String value, String flag) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(value.replace('-', '_'))) {
                return e;
            }
        }
        StringBuilder names = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            names.append(names.length() == 0 ? "" : ", ").append(e.name().toLowerCase(Locale.ROOT));
        }
        throw new InvalidInputException("expected " + flag + " to be one of " + names + ", found " + value);
    }
}
