package org.sonarllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.generate.GeneratedSentence;
import org.sonarllm.generate.GenerationListener;
import org.sonarllm.generate.GenerationOptions;
import org.sonarllm.generate.GenerationResult;
import org.sonarllm.generate.Generator;
import org.sonarllm.generate.SonarLlmGenerator;
import org.sonarllm.generate.StopCriterion;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.runtime.RuntimeOptions;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.segment.SentenceSegmenters;

/**
 * The in-process inference benchmark behind {@code sonarllm bench}: load to first token, encode
 * (sentences/s at several batch sizes), decode (tokens/s, greedy and beam, with or without the KV
 * cache, several batch sizes) and the generation loop (with the concept LM's cache or re-running the
 * prefix as SONAR-LLM's {@code generate.py}), each after warm-up and as the best of repeats, with the
 * sha256 of the output ids and the peak resident memory (VmHWM). Inputs are drawn from a seed, so two runs
 * and another implementation given the same inputs ({@link Config#dump()}) compute the same thing.
 *
 * <p>Not thread-safe (one run at a time).
 *
 * <pre>{@code
 * InferenceBench.run(new InferenceBench.Config(bundle, options, List.of("encode"), ...), row -> print(row));
 * }</pre>
 */
final class InferenceBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Prompt sentences of the generation benchmark (public-domain Austen, as tiny-a's case g). */
    static final List<String> PROMPT = List.of("The morning was fine, and Elizabeth walked out alone.",
            "She had not gone far before she met Mr. Darcy.");

    private InferenceBench() {}

    /**
     * What to measure.
     *
     * @param bundle bundle directory @param options runtime options @param tasks of load, encode, decode, generate
     * @param warmup untimed runs before each measurement @param repeats timed runs (the best is reported)
     * @param encodeSentences sentences encoded per measurement @param minTokens shortest sentence in tokens (incl.
     *     language and end) @param maxTokensPerSentence longest @param encodeBatches encoder batch sizes
     * @param decodeSentences embeddings decoded per measurement @param decodeBatches decoder batch sizes
     * @param searches {@code greedy}, {@code beamN} @param maxTokens token limit of decoding and generation
     * @param kvCache decoder KV cache settings to run @param generateSentences sentences generated per prompt
     * @param lmCache concept-LM cache settings to run @param generateSearch decoding of the generation loop
     * @param seed input seed @param dump directory for inputs.json and java.json, or null
     */
    record Config(Path bundle, RuntimeOptions options, List<String> tasks, int warmup, int repeats, int encodeSentences,
            int minTokens, int maxTokensPerSentence, List<Integer> encodeBatches, int decodeSentences,
            List<Integer> decodeBatches, List<String> searches, int maxTokens, List<Boolean> kvCache,
            int generateSentences, List<Boolean> lmCache, String generateSearch, long seed, Path dump) {}

    static void run(Config c, Consumer<Map<String, Object>> sink) throws IOException {
        Map<String, Object> inputs = new LinkedHashMap<>();
        Map<String, Object> outputs = new LinkedHashMap<>();
        if (c.tasks().contains("gemm")) {
            gemm(c, sink);
        }
        if (c.tasks().stream().allMatch("gemm"::equals)) {
            return;
        }
        if (c.tasks().contains("load")) {
            load(c, sink);
        }
        List<int[]> ids;
        List<float[]> emb;
        int lang;
        long t0 = System.nanoTime();
        try (SonarLlm llm = SonarLlm.load(c.bundle(), c.options())) {
            Map<String, Object> loaded = row("load", c);
            loaded.put("seconds", round3(secs(t0)));
            sink.accept(loaded);
            ids = sentences(llm, new SplittableRandom(c.seed()), c);
            lang = llm.tokenizer().languageId(Language.ENGLISH);
            emb = c.tasks().contains("decode")
                    ? llm.onnxEncoder().encodeIds(ids.subList(0, Math.min(ids.size(), c.decodeSentences()))) : List.of();
        }
        // one model open at a time (peak memory is part of the result), with the batch size under test
        if (c.tasks().contains("encode")) {
            inputs.put("encode", Map.of("ids", ids.subList(0, c.encodeSentences())));
            outputs.put("encode", Map.of("embeddings", encode(ids.subList(0, c.encodeSentences()), c, sink)));
        }
        if (c.tasks().contains("decode")) {
            inputs.put("decode", Map.of("embeddings", emb, "lang_id", lang, "max_tokens", c.maxTokens()));
            outputs.put("decode", decode(emb, c, sink));
        }
        if (c.tasks().contains("generate")) {
            inputs.put("generate", Map.of("prompt", PROMPT, "lang", Language.ENGLISH.code(), "sentences",
                    c.generateSentences(), "max_tokens", c.maxTokens()));
            try (SonarLlm llm = SonarLlm.load(c.bundle(), c.options())) {
                outputs.put("generate", generate(llm, c, sink));
            }
        }
        if (c.dump() != null) {
            Files.createDirectories(c.dump());
            JSON.writeValue(c.dump().resolve("inputs.json").toFile(), inputs);
            JSON.writeValue(c.dump().resolve("java.json").toFile(), outputs);
        }
    }

    /** The float32 GEMM peak through MLAS (2048 cubed), the reference of the decoder's efficiency. */
    private static void gemm(Config c, Consumer<Map<String, Object>> sink) {
        try {
            for (int[] mkn : new int[][] {{2048, 2048, 2048}, {4096, 4096, 4096}}) {
                Map<String, Object> m = row("gemm", c);
                m.put("m", mkn[0]);
                m.put("k", mkn[1]);
                m.put("n", mkn[2]);
                m.put("gflops", round1(GemmPeak.measure(mkn[0], mkn[1], mkn[2], c.options().intraOpThreads(),
                        Math.max(3, c.repeats()))));
                sink.accept(m);
            }
        } catch (ai.onnxruntime.OrtException e) {
            throw new IllegalStateException("GEMM measurement failed: " + e.getMessage(), e);
        }
    }

    /** Load to the first decoded token, a fresh model each time (the first run has a cold JVM). */
    private static void load(Config c, Consumer<Map<String, Object>> sink) {
        for (int i = 0; i < Math.max(1, c.repeats()); i++) {
            long t0 = System.nanoTime();
            try (SonarLlm llm = SonarLlm.load(c.bundle(), c.options())) {
                double load = secs(t0);
                float[] v = llm.encoder().encode("Hello there.", Language.ENGLISH);
                double encoded = secs(t0);
                llm.decoder().decode(v, Language.ENGLISH, DecodingOptions.greedy().withMaxTokens(1));
                Map<String, Object> m = row("load_to_first_token", c);
                m.put("run", i);
                m.put("load_s", round3(load));
                m.put("first_embedding_s", round3(encoded));
                m.put("first_token_s", round3(secs(t0)));
                sink.accept(m);
            }
        }
    }

    /** Random piece ids, lengths uniform in [minTokens, maxTokensPerSentence], as {@code [lang] + pieces + [</s>]}. */
    private static List<int[]> sentences(SonarLlm llm, SplittableRandom r, Config c) {
        int lang = llm.tokenizer().languageId(Language.ENGLISH);
        int pieces = llm.tokenizer().pieceCount();
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < Math.max(c.encodeSentences(), c.decodeSentences()); i++) {
            int len = c.minTokens() + r.nextInt(c.maxTokensPerSentence() - c.minTokens() + 1);
            int[] s = new int[len];
            s[0] = lang;
            for (int t = 1; t < len - 1; t++) {
                s[t] = 4 + r.nextInt(pieces);
            }
            s[len - 1] = 2;
            out.add(s);
        }
        return out;
    }

    private static List<float[]> encode(List<int[]> ids, Config c, Consumer<Map<String, Object>> sink) {
        long tokens = ids.stream().mapToLong(s -> s.length).sum();
        List<float[]> result = null;
        for (int batch : c.encodeBatches()) {
            try (SonarLlm one = SonarLlm.load(c.bundle(), c.options().toBuilder().encoderBatchSize(batch)
                    .lazySessions(true).build())) {
                Timed<List<float[]>> t = timed(c, () -> one.onnxEncoder().encodeIds(ids));
                Map<String, Object> m = row("encode", c);
                m.put("batch", batch);
                m.put("sentences", ids.size());
                m.put("sentences_per_s", round1(ids.size() / t.seconds));
                m.put("tokens_per_s", round1(tokens / t.seconds));
                m.put("padding_waste", round3(one.onnxEncoder().paddingWaste(ids)));
                m.put("peak_rss_mb", round1(peakRssMb()));
                sink.accept(m);
                result = t.value;
            }
        }
        return result;
    }

    private static Map<String, String> decode(List<float[]> emb, Config c,
            Consumer<Map<String, Object>> sink) {
        Map<String, String> shas = new LinkedHashMap<>();
        for (boolean kv : c.kvCache()) {
            for (String search : c.searches()) {
                for (int batch : c.decodeBatches()) {
                    DecodingOptions d = search(search).withMaxTokens(c.maxTokens());
                    try (SonarLlm one = SonarLlm.load(c.bundle(), c.options().toBuilder().decoderBatchSize(batch)
                            .lazySessions(true).build())) {
                        Timed<List<DecodedSentence>> t = timed(c,
                                () -> one.onnxDecoder().decode(emb, Language.ENGLISH, d, kv));
                        List<int[]> rows = t.value.stream().map(DecodedSentence::ids).toList();
                        long tokens = rows.stream().mapToLong(x -> x.length).sum();
                        Map<String, Object> m = row("decode", c);
                        m.put("search", search);
                        m.put("batch", batch);
                        m.put("kv_cache", kv);
                        m.put("sentences", emb.size());
                        m.put("tokens", tokens);
                        m.put("tokens_per_s", round1(tokens / t.seconds));
                        String sha = idsSha256(rows);
                        m.put("ids_sha256", sha);
                        m.put("peak_rss_mb", round1(peakRssMb()));
                        sink.accept(m);
                        if (kv) {
                            shas.put(search + "/" + batch, sha);
                        }
                    }
                }
            }
        }
        return shas;
    }

    private static Map<String, String> generate(SonarLlm llm, Config c, Consumer<Map<String, Object>> sink) {
        Map<String, String> shas = new LinkedHashMap<>();
        GenerationOptions o = GenerationOptions.builder().decoding(search(c.generateSearch()).withMaxTokens(c.maxTokens()))
                .stopCriterion(StopCriterion.maxSentences(c.generateSentences())).build();
        for (boolean cache : c.lmCache()) {
            ConceptLM lm = cache ? llm.conceptLm() : new RerunConceptLm(llm.conceptLm());
            Generator g = SonarLlmGenerator.builder().segmenter(SentenceSegmenters::forLanguage).encoder(llm.encoder())
                    .conceptLm(lm).decoder(llm.decoder()).eosEmbedding(llm.manifest().eosEmbedding()).build();
            Timed<GenerationResult> t = timed(c, () -> g.generateSentences(PROMPT, o, GenerationListener.NONE));
            List<int[]> rows = t.value.sentences().stream().map(GeneratedSentence::ids).toList();
            Map<String, Object> m = row("generate", c);
            m.put("search", c.generateSearch());
            m.put("lm_cache", cache);
            m.put("sentences", rows.size());
            m.put("stop", t.value.stopReason());
            m.put("seconds", round3(t.seconds));
            m.put("sentences_per_s", round3(rows.size() / t.seconds));
            String sha = idsSha256(rows);
            m.put("ids_sha256", sha);
            m.put("peak_rss_mb", round1(peakRssMb()));
            sink.accept(m);
            shas.put(c.generateSearch() + "/" + (cache ? "cache" : "no-cache"), sha);
        }
        return shas;
    }

    static DecodingOptions search(String s) {
        if (s.equals("greedy")) {
            return DecodingOptions.greedy();
        }
        if (s.startsWith("beam")) {
            try {
                return DecodingOptions.beam(Integer.parseInt(s.substring(4)));
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new UsageException("expected a search greedy or beamN, found " + s);
    }

    /**
     * @param rows id rows
     * @return sha256 (hex) of one line per row of space-separated decimal ids (what torch_infer.py hashes)
     */
    static String idsSha256(List<int[]> rows) {
        StringBuilder sb = new StringBuilder();
        for (int[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                sb.append(i == 0 ? "" : " ").append(r[i]);
            }
            sb.append('\n');
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(sb.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Timed<T>(double seconds, T value) {}

    private static <T> Timed<T> timed(Config c, Supplier<T> f) {
        for (int i = 0; i < c.warmup(); i++) {
            f.get();
        }
        double best = Double.MAX_VALUE;
        T v = null;
        for (int i = 0; i < Math.max(1, c.repeats()); i++) {
            long t0 = System.nanoTime();
            v = f.get();
            best = Math.min(best, secs(t0));
        }
        return new Timed<>(best, v);
    }

    private static Map<String, Object> row(String task, Config c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("task", task);
        m.put("threads", c.options().intraOpThreads());
        return m;
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** @return VmHWM from /proc/self/status in MB, or -1 where unavailable */
    static double peakRssMb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmHWM:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
