package org.sonarllm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.convert.RandomSonarCheckpoint;
import org.sonarllm.onnx.convert.SonarConverter;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import org.sonarllm.onnx.runtime.RuntimeOptions;

/**
 * Speed benchmark of the SONAR encoder and decoder on ONNX Runtime, on a random SONAR-shaped model
 * it generates and converts (default d 512, 8 heads, FFN 2048, 6+6 layers, vocab 32000): encoder
 * sentences/s at batch 1 and 32; decoder tokens/s at batch 1 and 16, greedy and beam 5, with and
 * without the KV cache; per-token time against sentence length; peak resident memory. Each result
 * is reported through a callback as an ordered map (the CLI prints them as JSON lines).
 *
 * <pre>{@code
 * SonarBenchmark.Config c = new SonarBenchmark.Config(Path.of("tokenizer"), Path.of("/tmp/bench"),
 *         new SonarConfig(512, 32000, 6, 6, 8, 8, 2048, 2048, 1024), 0, 32, false);
 * SonarBenchmark.run(c, row -> System.out.println(row));
 * }</pre>
 */
public final class SonarBenchmark {
    private SonarBenchmark() {}

    /**
     * @param tokenizer tokenizer directory for the bundle
     * @param work working directory (the checkpoint and bundle are created in it, reused if present)
     * @param spec model sizes
     * @param threads intra-op threads (0 = ONNX Runtime default)
     * @param maxTokens tokens per decoded sentence
     * @param quick fewer repetitions
     */
    public record Config(Path tokenizer, Path work, SonarConfig spec, int threads, int maxTokens,
            boolean quick) {}

    /**
     * @param c configuration
     * @param sink receives one map per measurement
     */
    public static void run(Config c, Consumer<Map<String, Object>> sink) throws Exception {
        Path bundle = c.work().resolve("bundle");
        if (!Files.exists(bundle.resolve("manifest.json"))) {
            long t0 = System.nanoTime();
            RandomSonarCheckpoint.write(c.work().resolve("ckpt"), c.spec(), 1L);
            SonarConverter.convert(c.work().resolve("ckpt/encoder"), c.work().resolve("ckpt/decoder"), c.tokenizer(),
                    bundle, Map.of(), OnnxConceptEncoder::open);
            sink.accept(row("convert", "seconds", (System.nanoTime() - t0) / 1e9));
        }
        RuntimeOptions o = RuntimeOptions.builder().intraOpThreads(c.threads()).verifyHashes(false)
                .encoderBatchSize(32).decoderBatchSize(16).build();
        try (SonarLlm llm = SonarLlm.load(bundle, o)) {
            Random r = new Random(7);
            int reps = c.quick() ? 1 : 3;
            // encoder: sentences of 24 tokens
            List<int[]> sents = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                int[] s = new int[24];
                for (int t = 0; t < s.length; t++) {
                    s[t] = 4 + r.nextInt(c.spec().vocab() - 4);
                }
                sents.add(s);
            }
            llm.onnxEncoder().encodeIds(sents.subList(0, 8));
            for (int batch : new int[] {1, 32}) {
                double best = Double.MAX_VALUE;
                for (int rep = 0; rep < reps; rep++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < sents.size(); i += batch) {
                        llm.onnxEncoder().encodeIds(sents.subList(i, Math.min(sents.size(), i + batch)));
                    }
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
                Map<String, Object> m = row("encoder", "batch", batch);
                m.put("tokens_per_sentence", 24);
                m.put("sentences_per_s", round(sents.size() / best));
                sink.accept(m);
            }
            List<float[]> embs = llm.onnxEncoder().encodeIds(sents.subList(0, 16));
            llm.decoder().decode(embs.subList(0, 2), Language.ENGLISH, DecodingOptions.greedy().withMaxTokens(4));
            // with the KV cache first, so that the first memory row is the footprint of normal use
            for (boolean kv : new boolean[] {true, false}) {
                for (int batch : new int[] {1, 16}) {
                    for (DecodingOptions opt : List.of(DecodingOptions.greedy(), DecodingOptions.beam(5))) {
                        DecodingOptions d = opt.withMaxTokens(c.maxTokens());
                        List<float[]> in = embs.subList(0, batch);
                        double best = Double.MAX_VALUE;
                        long tokens = 0;
                        for (int rep = 0; rep < (kv ? reps : 1); rep++) {
                            long t0 = System.nanoTime();
                            List<DecodedSentence> out = llm.onnxDecoder().decode(in, Language.ENGLISH, d, kv);
                            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                            tokens = out.stream().mapToLong(x -> x.ids().length).sum();
                        }
                        Map<String, Object> m = row("decoder", "batch", batch);
                        m.put("search", opt.strategy() instanceof org.sonarllm.decode.DecodingStrategy.Beam ? "beam5" : "greedy");
                        m.put("kv_cache", kv);
                        m.put("tokens", tokens);
                        m.put("tokens_per_s", round(tokens / best));
                        sink.accept(m);
                    }
                }
                // per-token cost against length, greedy batch 1
                for (int len : new int[] {16, 64, 128}) {
                    long t0 = System.nanoTime();
                    DecodedSentence s = llm.onnxDecoder().decode(List.of(embs.get(1)), Language.ENGLISH,
                            DecodingOptions.greedy().withMaxTokens(len), kv).get(0);
                    double sec = (System.nanoTime() - t0) / 1e9;
                    Map<String, Object> m = row("decoder_length", "max_tokens", len);
                    m.put("kv_cache", kv);
                    m.put("tokens", s.ids().length);
                    m.put("ms_per_token", round(sec * 1000 / s.ids().length));
                    sink.accept(m);
                }
                Map<String, Object> mem = row("memory", "peak_rss_mb", round(peakRssMb()));
                mem.put("after", kv ? "encoder and KV-cache decoder runs" : "all runs incl. no-cache baselines");
                sink.accept(mem);
            }
        }
    }

    private static Map<String, Object> row(String what, String k, Object v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bench", what);
        m.put(k, v);
        return m;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** @return VmHWM from /proc/self/status in MB, or -1 where unavailable */
    static double peakRssMb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmHWM:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }
}
