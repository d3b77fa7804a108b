package org.sonarllm.onnx.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.InvalidInputException;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.encode.Vectors;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.proto.OnnxProto;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.onnx.testing.TinyACases;
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.testing.TinyA;

/**
 * tiny-a converted with {@code --quantize float16}: every weight stored F16 (half the bytes), the training
 * graph kept, and the graphs compute exactly the model whose weights are the float16-rounded ones: the same
 * outputs as a float32 bundle converted from a checkpoint saved in float16 (an independent path: the
 * checkpoint reader widens, the graphs read float32), within float32 arithmetic. Against tiny-a's own float32
 * reference outputs: embeddings by cosine, greedy ids equal. ONNX Runtime folds the casts when it creates
 * the session (no Cast node is left to run per call).
 */
class HalfPrecisionBundleTest {
    @TempDir
    Path tmp;

    @Test
    void float16BundleIsTheRoundedModelAtHalfTheSize() throws Exception {
        Path src = TinyA.dir();
        Path half = tmp.resolve("f16");
        SonarConverter.convert(src.resolve("encoder"), src.resolve("decoder"), src.resolve("tokenizer"), half, Map.of(),
                OnnxConceptEncoder::open, (s, done, total) -> { }, SonarConverter.Quantization.parse("float16"));
        Path full = tmp.resolve("f32");
        SonarConverter.convert(src.resolve("encoder"), src.resolve("decoder"), src.resolve("tokenizer"), full, Map.of(),
                OnnxConceptEncoder::open);
        // the reference: the checkpoint saved in float16 by the writer, converted as float32 (widened on reading)
        Path rounded = tmp.resolve("rounded");
        SonarConverter.convert(TinyABundle.halfCheckpoint("encoder", tmp.resolve("ckpt16/encoder")),
                TinyABundle.halfCheckpoint("decoder", tmp.resolve("ckpt16/decoder")), src.resolve("tokenizer"), rounded,
                Map.of(), OnnxConceptEncoder::open);

        for (String file : List.of(SonarConverter.ENCODER_WEIGHTS, SonarConverter.DECODER_WEIGHTS)) {
            try (SafeTensors h = SafeTensors.open(half.resolve(file)); SafeTensors f = SafeTensors.open(full.resolve(file))) {
                assertEquals(f.names(), h.names());
                long halfData = 0;
                long fullData = 0;
                for (String n : h.names()) {
                    assertEquals(SafeTensors.DType.F16, h.dtype(n), n);
                    assertArrayEquals(f.shape(n), h.shape(n), n);
                    long numel = 1;
                    for (long d : h.shape(n)) {
                        numel *= d;
                    }
                    halfData += numel * 2;
                    fullData += numel * 4;
                }
                assertTrue(Files.size(half.resolve(file)) < halfData + 64 * 1024, file);
                assertTrue(Files.size(full.resolve(file)) >= fullData, file);
            }
        }

        JsonNode b = TinyA.expected().get("b_encoder");
        List<int[]> ids = TinyACases.encoderIds();
        float[][] fixture = TinyA.floats2(b.get("embeddings"));
        JsonNode d = TinyA.expected().get("d_greedy");
        try (SonarLlm h = SonarLlm.load(half); SonarLlm r = SonarLlm.load(rounded)) {
            assertEquals("float16", h.manifest().components().get(BundleManifest.DECODER).properties().get("quantization"));
            assertTrue(h.manifest().components().containsKey(BundleManifest.DECODER_TRAINING));
            List<float[]> got = h.onnxEncoder().encodeIds(ids);
            List<float[]> ref = r.onnxEncoder().encodeIds(ids);
            for (int i = 0; i < ids.size(); i++) {
                for (int j = 0; j < got.get(i).length; j++) {
                    assertEquals(ref.get(i)[j], got.get(i)[j], 1e-5 * (1 + Math.abs(ref.get(i)[j])), "row " + i + " dim " + j);
                }
                double cos = Vectors.cosine(fixture[i], got.get(i));
                assertTrue(cos > 0.9999, "row " + i + ": cosine to tiny-a's float32 embedding " + cos);
            }
            for (JsonNode c : d.get("cases")) {
                DecodingOptions o = DecodingOptions.greedy().withMaxTokens(d.get("max_new_tokens").asInt());
                DecodedSentence s = h.decoder().decode(TinyA.floats(c.get("embedding")), Language.ENGLISH, o);
                DecodedSentence sr = r.decoder().decode(TinyA.floats(c.get("embedding")), Language.ENGLISH, o);
                assertArrayEquals(sr.ids(), s.ids());
                int[] want = new int[c.get("generated_ids").size()];
                for (int i = 0; i < want.length; i++) {
                    want[i] = c.get("generated_ids").get(i).asInt();
                }
                assertArrayEquals(want, java.util.Arrays.copyOf(s.ids(), want.length));
            }
        }

        // ONNX Runtime folds Cast(float16 initializer) into a float32 initializer when it builds the session
        Path optimized = tmp.resolve("decoder-optimized.onnx");
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            so.setOptimizedModelFilePath(optimized.toString());
            try (OrtSession s = OrtEnvironment.getEnvironment().createSession(half.resolve("decoder.onnx").toString(), so)) {
                assertTrue(s.getNumInputs() > 0);
            }
        }
        OnnxProto.ModelProto before = OnnxProto.ModelProto.parseFrom(Files.readAllBytes(half.resolve("decoder.onnx")));
        OnnxProto.ModelProto after = OnnxProto.ModelProto.parseFrom(Files.readAllBytes(optimized));
        long castsBefore = before.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Cast")).count();
        long castsAfter = after.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Cast")).count();
        assertTrue(castsBefore >= 10, "casts in the written graph: " + castsBefore);
        assertTrue(castsAfter < castsBefore - 10, "casts left after optimization: " + castsAfter + " of " + castsBefore);
        assertTrue(after.getGraph().getNodeList().stream().noneMatch(n -> n.getInputList().stream()
                .anyMatch(i -> i.endsWith(".f16"))), "a node still reads a float16 weight");
    }

    @Test
    void quantizationNamesMapToTheirStorageAndBadOnesAreRefused() {
        assertEquals(new SonarConverter.Quantization(16, 0), SonarConverter.Quantization.parse("float16"));
        assertEquals("float16", SonarConverter.Quantization.FLOAT16.toString());
        assertFalse(SonarConverter.Quantization.FLOAT16.blocks());
        assertTrue(SonarConverter.Quantization.parse("int8").blocks());
        assertTrue(assertThrows(InvalidInputException.class, () -> SonarConverter.Quantization.parse("fp16"))
                .getMessage().contains("expected quantization float32, float16, int8 or int4, found fp16"));
        for (int[] bad : new int[][] {{16, 32}, {8, 0}, {8, 24}, {12, 0}, {0, 32}}) {
            assertThrows(InvalidInputException.class, () -> new SonarConverter.Quantization(bad[0], bad[1]),
                    bad[0] + " bits, block " + bad[1]);
        }
    }
}
