package org.sonarllm.onnx.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.graph.SonarDecoderGraph;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import org.sonarllm.testing.TinyA;

/**
 * A decoder whose head size (12) is not a multiple of 8: the in-place cache pads each head to 16 inside the
 * graph. Teacher-forced logits match the float64 reference, and decoding with the cache (grown past its first
 * reservation, 40 tokens) equals re-running every sequence.
 */
class PaddedHeadsTest {
    static final SonarConfig SPEC = new SonarConfig(36, 1300, 1, 2, 3, 3, 40, 40, 64);

    @TempDir
    Path dir;

    @Test
    void paddedHeadsDecodeExactly() throws Exception {
        assertEquals(16, SonarDecoderGraph.cacheHeadDim(12));
        RandomSonarCheckpoint.write(dir, SPEC, 11L);
        SonarConverter.convert(dir.resolve("encoder"), dir.resolve("decoder"), TinyA.dir().resolve("tokenizer"),
                dir.resolve("bundle"), Map.of(), OnnxConceptEncoder::open);
        try (SonarLlm llm = SonarLlm.load(dir.resolve("bundle"))) {
            M2M100Reference ref = new M2M100Reference(dir.resolve("decoder/model.safetensors"), "model.decoder.",
                    SPEC.model(), SPEC.decoderHeads(), SPEC.decoderFfn(), SPEC.decoderLayers());
            Random r = new Random(12);
            List<float[]> embs = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                float[] e = new float[SPEC.model()];
                for (int i = 0; i < e.length; i++) {
                    e[i] = (float) r.nextGaussian() * 0.5f;
                }
                embs.add(e);
            }
            int[] ids = {2, 1047, 17, 300, 1299, 5, 6};
            double[][] exp = ref.decoderLogits(ids, embs.get(0), SPEC.vocab());
            float[][] got = llm.onnxDecoder().logits(List.of(embs.get(0)), List.of(ids))[0];
            for (int t = 0; t < ids.length; t++) {
                for (int v = 0; v < SPEC.vocab(); v++) {
                    assertEquals(exp[t][v], got[t][v], 1e-3, "position " + t + " token " + v);
                }
            }
            int longest = 0;
            for (DecodingOptions o : List.of(DecodingOptions.greedy().withMaxTokens(40),
                    DecodingOptions.beam(3).withMaxTokens(36))) {
                List<DecodedSentence> a = llm.onnxDecoder().decode(embs, Language.ENGLISH, o, true);
                List<DecodedSentence> b = llm.onnxDecoder().decode(embs, Language.ENGLISH, o, false);
                for (int i = 0; i < embs.size(); i++) {
                    assertArrayEquals(b.get(i).ids(), a.get(i).ids());
                    assertEquals(b.get(i).score(), a.get(i).score(), 1e-4);
                    longest = Math.max(longest, a.get(i).ids().length);
                }
            }
            assertTrue(longest > 32, "some sentence must outgrow the first cache reservation, longest " + longest);
        }
    }
}
