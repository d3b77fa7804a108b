package org.sonarllm.training.sonar;

import org.sonarllm.encode.Vectors;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.convert.SonarConverter;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Converts a trained autoencoder into a bundle and measures it on held-out sentences, through the
 * same ONNX Runtime path users run: reconstruction (encode, beam-5 decode) of held-out sentences of at
 * most 20 words scored by corpus BLEU-4 and exact match, and retrieval: the re-encoded reconstruction of
 * each sentence must be closer (cosine) to the sentence's own embedding than to those of 1000
 * distractor held-out sentences (top-1 accuracy).
 *
 * <pre>{@code
 * Map<String, Object> r = AutoencoderEval.evaluate(Path.of("bundle"), Path.of("data/austen/persuasion.txt"), 500, 1000, 1);
 * }</pre>
 */
public final class AutoencoderEval {
    private static final Logger LOG = LoggerFactory.getLogger(AutoencoderEval.class);

    private AutoencoderEval() {}

    /**
     * @param trainOut a trainer output directory (encoder/, decoder/, tokenizer/)
     * @param bundleDir bundle to (re)create
     */
    public static void bundle(Path trainOut, Path bundleDir) {
        if (Files.exists(bundleDir.resolve("manifest.json"))) {
            try (Stream<Path> s = Files.walk(bundleDir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            } catch (IOException e) {
                throw new InvalidInputException("cannot replace bundle " + bundleDir + ": " + e.getMessage(), e);
            }
        }
        SonarConverter.convert(trainOut.resolve("encoder"), trainOut.resolve("decoder"), trainOut.resolve("tokenizer"),
                bundleDir, Map.of(), OnnxConceptEncoder::open);
    }

    static void main(Map<String, String> a) {
        Map<String, Object> r = evaluate(Path.of(AutoencoderMain.req(a, "bundle")),
                Path.of(a.getOrDefault("heldout", "data/austen/persuasion.txt")), Integer.parseInt(a.getOrDefault("n", "500")),
                Integer.parseInt(a.getOrDefault("distractors", "1000")), Long.parseLong(a.getOrDefault("seed", "1")));
        try {
            String json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r);
            if (a.containsKey("report")) {
                Files.writeString(Path.of(a.get("report")), json);
            }
            LOG.info("evaluation:\n{}", json);
        } catch (IOException e) {
            throw new InvalidInputException("cannot write report: " + e.getMessage(), e);
        }
    }

    /**
     * @param bundleDir the bundle
     * @param heldOut held-out novel
     * @param n sentences to reconstruct
     * @param distractors distractor sentences for retrieval
     * @param seed sample seed
     * @return metrics and examples
     */
    public static Map<String, Object> evaluate(Path bundleDir, Path heldOut, int n, int distractors, long seed) {
        try (SonarLlm llm = SonarLlm.load(bundleDir)) {
            return evaluate(llm, bundleDir, heldOut, n, distractors, seed);
        }
    }

    private static Map<String, Object> evaluate(SonarLlm llm, Path bundleDir, Path heldOut, int n, int distractors, long seed) {
        List<String> pool = new ArrayList<>(new LinkedHashSet<>(AustenCorpus.sentences(List.of(heldOut))));
        pool.removeIf(s -> AustenCorpus.words(s) > 20);
        Collections.shuffle(pool, new Random(seed));
        if (pool.size() < n + distractors) {
            throw new InvalidInputException("expected at least " + (n + distractors) + " held-out sentences of <= 20 words, found "
                    + pool.size());
        }
        List<String> queries = pool.subList(0, n);
        List<String> others = pool.subList(n, n + distractors);
        {
            List<float[]> qEmb = encode(llm, queries);
            List<float[]> dEmb = encode(llm, others);
            List<String> hyp = new ArrayList<>();
            DecodingOptions beam = DecodingOptions.beam(5).withMaxTokens(64);
            for (int i = 0; i < n; i += 16) {
                for (DecodedSentence s : llm.decoder().decode(qEmb.subList(i, Math.min(n, i + 16)), Language.ENGLISH, beam)) {
                    hyp.add(s.text().strip());
                }
                LOG.info("decoded {}/{}", hyp.size(), n);
            }
            List<float[]> reEmb = encode(llm, hyp.stream().map(h -> h.isEmpty() ? "." : h).toList());
            int exact = 0;
            int top1 = 0;
            for (int i = 0; i < n; i++) {
                if (hyp.get(i).equals(queries.get(i))) {
                    exact++;
                }
                double own = Vectors.cosine(reEmb.get(i), qEmb.get(i));
                boolean best = true;
                for (float[] d : dEmb) {
                    if (Vectors.cosine(reEmb.get(i), d) >= own) {
                        best = false;
                        break;
                    }
                }
                top1 += best ? 1 : 0;
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("bundle", bundleDir.toString());
            r.put("heldout", heldOut.getFileName().toString());
            r.put("sentences", n);
            r.put("distractors", distractors);
            r.put("bleu", 100 * TextMetrics.corpusBleu(hyp, queries));
            r.put("exact_match", exact / (double) n);
            r.put("retrieval_top1", top1 / (double) n);
            List<Map<String, String>> ex = new ArrayList<>();
            for (int i = 0; i < Math.min(8, n); i++) {
                ex.add(Map.of("source", queries.get(i), "reconstruction", hyp.get(i)));
            }
            r.put("examples", ex);
            return r;
        }
    }

    private static List<float[]> encode(SonarLlm llm, List<String> s) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < s.size(); i += 64) {
            out.addAll(llm.encoder().encode(s.subList(i, Math.min(s.size(), i + 64)), Language.ENGLISH));
        }
        return out;
    }

}
