package org.sonarllm.onnx.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.encode.Vectors;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.graph.GraphWeights;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import org.sonarllm.onnx.testing.TinyACases;
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.testing.TinyA;

/**
 * tiny-a converted with int8 and int4 weights: every matrix is stored quantized (no float32 copy), the bundle
 * has no training graph, and encoder and decoder stay close to tiny-a's float32 reference outputs: case b
 * embeddings by cosine (int8 > 0.999, int4 > 0.95), case d greedy ids all equal with int8. Fidelity figures: docs/benchmarks.md.
 */
class QuantizedBundleTest {
    @TempDir
    Path tmp;

    @Test
    void int8AndInt4BundlesStoreCodesAndStayClose() throws Exception {
        Path src = TinyA.dir();
        JsonNode b = TinyA.expected().get("b_encoder");
        JsonNode d = TinyA.expected().get("d_greedy");
        for (String name : List.of("int8", "int4")) {
            Path out = tmp.resolve(name);
            SonarConverter.convert(src.resolve("encoder"), src.resolve("decoder"), src.resolve("tokenizer"), out, Map.of(),
                    OnnxConceptEncoder::open, (s, done, total) -> { }, SonarConverter.Quantization.parse(name));
            try (SafeTensors w = SafeTensors.open(out.resolve(SonarConverter.DECODER_WEIGHTS))) {
                String suffix = name.equals("int8") ? GraphWeights.CODES8 : GraphWeights.CODES4;
                assertTrue(w.contains("model.decoder.layers.0.fc1.weight" + suffix));
                assertFalse(w.contains("model.decoder.layers.0.fc1.weight"));
                assertTrue(w.contains("model.decoder.embed_tokens.weight" + suffix));
                assertTrue(w.contains("model.decoder.layers.0.fc1.bias"));
            }
            try (SonarLlm llm = SonarLlm.load(out)) {
                assertFalse(llm.manifest().components().containsKey(BundleManifest.DECODER_TRAINING));
                assertEquals(name + " block 32", llm.manifest().components().get(BundleManifest.DECODER).properties()
                        .get("quantization"));
                float[][] exp = TinyA.floats2(b.get("embeddings"));
                List<float[]> got = llm.onnxEncoder().encodeIds(TinyACases.encoderIds());
                double minCos = 1;
                for (int i = 0; i < exp.length; i++) {
                    minCos = Math.min(minCos, Vectors.cosine(exp[i], got.get(i)));
                }
                System.out.println(name + ": min cosine to float32 embeddings " + minCos);
                assertTrue(minCos > (name.equals("int8") ? 0.999 : 0.95), name + ": cosine " + minCos);
                int same = 0;
                int total = 0;
                for (JsonNode c : d.get("cases")) {
                    DecodedSentence s = llm.decoder().decode(TinyA.floats(c.get("embedding")), Language.ENGLISH,
                            DecodingOptions.greedy().withMaxTokens(d.get("max_new_tokens").asInt()));
                    JsonNode want = c.get("generated_ids");
                    for (int i = 0; i < want.size(); i++) {
                        total++;
                        if (i < s.ids().length && s.ids()[i] == want.get(i).asInt()) {
                            same++;
                        } else {
                            break;
                        }
                    }
                }
                System.out.println(name + ": greedy tokens equal to float32 before the first difference " + same + "/" + total);
                if (name.equals("int8")) {
                    // tiny-a's greedy margins (top-1 minus top-2 log-prob >= 0.16) survive 8-bit weights
                    assertEquals(total, same, name + ": greedy ids equal to float32");
                }
            }
            assertTrue(Files.size(out.resolve(SonarConverter.DECODER_WEIGHTS)) > 0);
        }
    }
}
