package org.sonarllm.onnx.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import org.sonarllm.testing.TinyA;

/**
 * Converter + runtime on a random checkpoint with sizes unlike tiny-a (d 48, 3 heads, FFN 80, 3
 * encoder / 1 decoder layers, vocab 1300), checked against a float64 Java reference.
 */
class OtherSizesTest {
    static final SonarConfig SPEC = new SonarConfig(48, 1300, 3, 1, 3, 3, 80, 80, 64);
    static Path dir;
    static SonarLlm llm;

    @BeforeAll
    static void convert() throws Exception {
        dir = org.sonarllm.testing.TempDirs.create("other-sizes");
        RandomSonarCheckpoint.write(dir, SPEC, 5L);
        SonarConverter.convert(dir.resolve("encoder"), dir.resolve("decoder"), TinyA.dir().resolve("tokenizer"),
                dir.resolve("bundle"), Map.of(), OnnxConceptEncoder::open);
        llm = SonarLlm.load(dir.resolve("bundle"));
    }

    @AfterAll
    static void close() {
        llm.close();
    }

    @Test
    void encoderMatchesReferenceWithPaddingInTheBatch() {
        M2M100Reference ref = new M2M100Reference(dir.resolve("encoder/model.safetensors"), "", SPEC.model(), SPEC.encoderHeads(),
                SPEC.encoderFfn(), SPEC.encoderLayers());
        Random r = new Random(3);
        List<int[]> ids = new ArrayList<>();
        for (int len : new int[] {3, 9, 5, 1}) {
            int[] s = new int[len];
            for (int i = 0; i < len; i++) {
                s[i] = 4 + r.nextInt(SPEC.vocab() - 4);
            }
            ids.add(s);
        }
        List<float[]> got = llm.onnxEncoder().encodeIds(ids);
        for (int i = 0; i < ids.size(); i++) {
            double[] exp = ref.encode(ids.get(i));
            for (int j = 0; j < SPEC.model(); j++) {
                assertEquals(exp[j], got.get(i)[j], 1e-4, "row " + i);
            }
        }
    }

    @Test
    void decoderGraphsMatchReference() throws Exception {
        M2M100Reference ref = new M2M100Reference(dir.resolve("decoder/model.safetensors"), "model.decoder.", SPEC.model(),
                SPEC.encoderHeads(), SPEC.encoderFfn(), SPEC.decoderLayers());
        float[] e = new float[SPEC.model()];
        Random r = new Random(4);
        for (int i = 0; i < e.length; i++) {
            e[i] = (float) r.nextGaussian() * 0.3f;
        }
        int[] ids = {2, 1047, 17, 300, 1299, 5};
        double[][] exp = ref.decoderLogits(ids, e, SPEC.vocab());
        float[][] got = llm.onnxDecoder().logits(List.of(e), List.of(ids))[0];
        for (int t = 0; t < ids.length; t++) {
            for (int v = 0; v < SPEC.vocab(); v++) {
                assertEquals(exp[t][v], got[t][v], 1e-3);
            }
        }
        // the bundle's teacher-forcing (training) graph too, its weight inputs fed from decoder.safetensors
        Path tf = dir.resolve("bundle/decoder_training.onnx");
        var env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        Map<String, ai.onnxruntime.OnnxTensor> feeds = new java.util.HashMap<>();
        try (var w = org.sonarllm.onnx.weights.SafeTensors.open(dir.resolve("bundle/" + SonarConverter.DECODER_WEIGHTS));
                var s = env.createSession(tf.toString(), new ai.onnxruntime.OrtSession.SessionOptions())) {
            for (String in : s.getInputNames()) {
                if (w.contains(in)) {
                    feeds.put(in, ai.onnxruntime.OnnxTensor.createTensor(env, w.floatBuffer(in), w.shape(in)));
                }
            }
            feeds.put("decoder_input_ids", ai.onnxruntime.OnnxTensor.createTensor(env, new long[][] {java.util.Arrays
                    .stream(ids).asLongStream().toArray()}));
            feeds.put("embedding", ai.onnxruntime.OnnxTensor.createTensor(env, new float[][] {e}));
            // positions padding_idx + 1 + t, as M2M100 numbers decoder positions
            feeds.put("position_ids", ai.onnxruntime.OnnxTensor.createTensor(env, new long[][] {java.util.stream.LongStream
                    .range(0, ids.length).map(t -> llm.manifest().specialIds().pad() + 1 + t).toArray()}));
            try (var res = s.run(feeds)) {
                float[][] tfl = ((float[][][]) res.get(0).getValue())[0];
                for (int t = 0; t < ids.length; t++) {
                    for (int v = 0; v < SPEC.vocab(); v++) {
                        assertEquals(exp[t][v], tfl[t][v], 1e-3);
                    }
                }
            }
        } finally {
            feeds.values().forEach(ai.onnxruntime.OnnxTensor::close);
        }
    }

    @Test
    void kvCacheAndFullRecomputeAgree() {
        Random r = new Random(6);
        List<float[]> embs = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            float[] e = new float[SPEC.model()];
            for (int i = 0; i < e.length; i++) {
                e[i] = (float) r.nextGaussian();
            }
            embs.add(e);
        }
        for (DecodingOptions o : List.of(DecodingOptions.greedy().withMaxTokens(12), DecodingOptions.beam(3).withMaxTokens(9))) {
            List<DecodedSentence> a = llm.onnxDecoder().decode(embs, Language.ENGLISH, o, true);
            List<DecodedSentence> b = llm.onnxDecoder().decode(embs, Language.ENGLISH, o, false);
            for (int i = 0; i < embs.size(); i++) {
                assertArrayEquals(a.get(i).ids(), b.get(i).ids());
                assertEquals(a.get(i).score(), b.get(i).score(), 1e-4);
            }
        }
    }
}
