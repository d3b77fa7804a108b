package org.sonarllm.onnx.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.sonarllm.ModelFormatException;
import org.sonarllm.testing.TinyA;

/**
 * The committed fixtures written by scripts/testdata/make-torch-fixtures.py from tiny-a: every
 * tensor read here must equal the tiny-a safetensors tensor it was made from, bit for bit.
 */
class TorchCheckpointFixturesTest {
    static Path fixture(String name) {
        try {
            return Path.of(TorchCheckpointFixturesTest.class.getResource("/torch/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static SafeTensors tiny(String component) {
        return SafeTensors.open(TinyA.dir().resolve(component + "/model.safetensors"));
    }

    static void assertBitwise(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + "[" + i + "]: expected " + expected[i] + ", found " + actual[i]);
            }
        }
    }

    /** Asserts that every tensor of expectedNames (checkpoint name -> tiny-a name) equals tiny-a's. */
    static void assertSameTensors(TorchCheckpoint ckpt, SafeTensors ref, Map<String, String> names) {
        assertEquals(new TreeSet<>(names.keySet()), new TreeSet<>(ckpt.names()));
        for (Map.Entry<String, String> e : names.entrySet()) {
            assertArrayEquals(ref.shape(e.getValue()), ckpt.shape(e.getKey()), e.getKey());
            assertEquals(SafeTensors.DType.F32, ckpt.dtype(e.getKey()));
            assertBitwise(ref.floats(e.getValue()), ckpt.floats(e.getKey()), e.getKey());
        }
    }

    static Map<String, String> identity(SafeTensors ref) {
        Map<String, String> m = new LinkedHashMap<>();
        ref.names().forEach(n -> m.put(n, n));
        return m;
    }

    /** fairseq2 SONAR decoder names (as held by EmbeddingToTextModelPipeline.model) -> HF M2M100 names. */
    static Map<String, String> fairseq2Decoder(SafeTensors hf) {
        Map<String, String> m = new LinkedHashMap<>();
        String p = "sonar_decoder.model.decoder.";
        m.put(p + "decoder_frontend.embed.weight", "model.decoder.embed_tokens.weight");
        m.put(p + "final_proj.weight", "lm_head.weight");
        m.put(p + "decoder.layer_norm.weight", "model.decoder.layer_norm.weight");
        m.put(p + "decoder.layer_norm.bias", "model.decoder.layer_norm.bias");
        for (String n : hf.names()) {
            if (!n.startsWith("model.decoder.layers.")) {
                continue;
            }
            String rest = n.substring("model.decoder.".length())
                    .replace(".self_attn.out_proj.", ".self_attn.output_proj.")
                    .replace(".encoder_attn.out_proj.", ".encoder_decoder_attn.output_proj.")
                    .replace(".encoder_attn.", ".encoder_decoder_attn.")
                    .replace(".encoder_attn_layer_norm.", ".encoder_decoder_attn_layer_norm.")
                    .replace(".final_layer_norm.", ".ffn_layer_norm.")
                    .replace(".fc1.", ".ffn.inner_proj.")
                    .replace(".fc2.", ".ffn.output_proj.");
            m.put(p + "decoder." + rest, n);
        }
        return m;
    }

    @Test
    void authorsFullCheckpointGivesTheConceptLmAndTheFrozenDecoder() {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(fixture("authors/checkpoint.pt"));
                SafeTensors llm = tiny("sonar_llm"); SafeTensors dec = tiny("decoder")) {
            assertEquals("model_state_dict", ckpt.stateDictKey());
            assertEquals(List.of("model_state_dict", "optimizer_state_dict", "scheduler_state_dict", "epoch",
                    "step_in_epoch", "global_step", "random_rng_state", "numpy_rng_state", "torch_rng_state",
                    "cuda_rng_state_all"), ckpt.topLevelKeys());
            assertTrue(ckpt.skipped().isEmpty(), ckpt.skipped().toString());
            // all concept-LM tensors under their own names, the decoder under fairseq2 names; nothing else
            Map<String, String> both = new LinkedHashMap<>(identity(llm));
            Map<String, String> decNames = fairseq2Decoder(dec);
            both.putAll(decNames);
            assertEquals(both.size(), ckpt.names().size());
            for (Map.Entry<String, String> e : both.entrySet()) {
                SafeTensors ref = decNames.containsKey(e.getKey()) ? dec : llm;
                assertArrayEquals(ref.shape(e.getValue()), ckpt.shape(e.getKey()), e.getKey());
                assertBitwise(ref.floats(e.getValue()), ckpt.floats(e.getKey()), e.getKey());
            }
            // F32 contiguous tensors come straight from the mapping, not a heap copy
            ByteBuffer w = ckpt.float32Bytes("forward_proj.linear.weight");
            assertInstanceOf(MappedByteBuffer.class, w);
            assertEquals(ckpt.numel("forward_proj.linear.weight") * 4, w.remaining());
            ckpt.requireShape("reverse_proj.linear.weight", llm.shape("reverse_proj.linear.weight"));
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> ckpt.requireShape("reverse_proj.linear.weight", 1, 2));
            assertTrue(e.getMessage().contains("expected shape [1, 2], found [64, 96]"), e.getMessage());
        }
    }

    @Test
    void authorsOptimizerAndRngStatesAreParsedButNeverResolved() {
        Path p = fixture("authors/checkpoint.pt");
        try (TorchCheckpoint opt = TorchCheckpoint.open(p, "optimizer_state_dict")) {
            assertEquals(List.of(), opt.names());
            assertEquals(List.of("state", "param_groups"), List.copyOf(opt.skipped().keySet()));
            assertTrue(opt.skipped().get("state").startsWith("not a tensor: dict of 4"), opt.skipped().toString());
        }
        try (TorchCheckpoint sched = TorchCheckpoint.open(p, "scheduler_state_dict")) {
            assertEquals(List.of(), sched.names());
            assertTrue(sched.skipped().containsKey("lr_lambdas"), sched.skipped().toString());
        }
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> TorchCheckpoint.open(p, "numpy_rng_state"));
        assertTrue(e.getMessage().contains("expected a dict under 'numpy_rng_state', found tuple of 5"), e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> TorchCheckpoint.open(p, "torch_rng_state"));
        assertTrue(e.getMessage().contains("expected a dict under 'torch_rng_state', found uint8 tensor ["),
                e.getMessage());
        try (TorchCheckpoint top = TorchCheckpoint.open(p, "")) {
            assertEquals(List.of(), top.names());
            assertTrue(top.skipped().get("torch_rng_state").startsWith("uint8 tensor ["), top.skipped().toString());
            assertTrue(top.skipped().get("numpy_rng_state").contains("tuple of 5"));
        }
    }

    @Test
    void huggingFaceLayoutWrappedInModelStateDict() {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(fixture("hf/pytorch_model.bin"));
                SafeTensors llm = tiny("sonar_llm")) {
            assertEquals("model_state_dict", ckpt.stateDictKey());
            assertEquals(List.of("model_state_dict"), ckpt.topLevelKeys());
            assertSameTensors(ckpt, llm, identity(llm));
        }
    }

    @Test
    void encoderAndDecoderPortsAreTopLevelStateDicts() {
        try (TorchCheckpoint enc = TorchCheckpoint.open(fixture("encoder/pytorch_model.bin"));
                SafeTensors ref = tiny("encoder")) {
            assertEquals("", enc.stateDictKey());
            assertSameTensors(enc, ref, identity(ref));
        }
        try (TorchCheckpoint dec = TorchCheckpoint.open(fixture("decoder/pytorch_model.bin"));
                SafeTensors ref = tiny("decoder")) {
            assertSameTensors(dec, ref, identity(ref));
        }
    }

    @Test
    void halfAndBfloat16WidenExactlyAsTorchDoes() {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(fixture("special/half.pt"));
                SafeTensors golden = SafeTensors.open(fixture("special/half_golden.safetensors"))) {
            assertEquals(golden.names(), ckpt.names());
            for (String n : golden.names()) {
                assertEquals(n.startsWith("f16") ? SafeTensors.DType.F16 : SafeTensors.DType.BF16, ckpt.dtype(n));
                assertArrayEquals(golden.shape(n), ckpt.shape(n), n);
                assertBitwise(golden.floats(n), ckpt.floats(n), n);
            }
            float[] large = ckpt.floats("f16_large");
            assertTrue(containsInfinity(large), "the scaled tensor overflows to inf in float16");
            boolean subnormal = false;
            for (float x : ckpt.floats("f16_small")) {
                subnormal |= x != 0 && Math.abs(x) < 0x1p-14f;
            }
            assertTrue(subnormal, "the scaled-down tensor has float16 subnormals");
        }
    }

    static boolean containsInfinity(float[] v) {
        for (float x : v) {
            if (Float.isInfinite(x)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void viewsWithOffsetsAndStridesAreMaterialisedInRowMajorOrder() {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(fixture("special/views.pt")); SafeTensors llm = tiny("sonar_llm")) {
            float[] all = llm.floats("forward_proj.linear.weight");
            int cols = (int) llm.shape("forward_proj.linear.weight")[1];
            int rows = 16;
            float[] t = new float[rows * cols];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    t[c * rows + r] = all[r * cols + c];
                }
            }
            assertArrayEquals(new long[] {cols, rows}, ckpt.shape("transposed"));
            assertBitwise(t, ckpt.floats("transposed"), "transposed");
            assertBitwise(java.util.Arrays.copyOfRange(all, 5 * cols, rows * cols), ckpt.floats("offset_rows"),
                    "offset_rows");
            assertInstanceOf(MappedByteBuffer.class, ckpt.float32Bytes("offset_rows"), "contiguous view stays mapped");
            assertFalse(ckpt.float32Bytes("transposed") instanceof MappedByteBuffer);
            float[] col = new float[rows];
            for (int r = 0; r < rows; r++) {
                col[r] = all[r * cols + 3];
            }
            assertBitwise(col, ckpt.floats("column"), "column");
            float[] block = new float[4 * 32];
            for (int r = 0; r < 4; r++) {
                System.arraycopy(all, (2 + r) * cols + 8, block, r * 32, 32);
            }
            assertArrayEquals(new long[] {4, 32}, ckpt.shape("block"));
            assertBitwise(block, ckpt.floats("block"), "block");
        }
    }

    @Test
    void tiedWeightsShareOneStorage() {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(fixture("special/tied.pt")); SafeTensors llm = tiny("sonar_llm")) {
            float[] e = llm.floats("llama_model.model.embed_tokens.weight");
            assertBitwise(e, ckpt.floats("embed_tokens.weight"), "embed");
            assertBitwise(e, ckpt.floats("lm_head.weight"), "lm_head");
            assertBitwise(llm.floats("llama_model.model.norm.weight"), ckpt.floats("norm.weight"), "norm");
        }
    }

    @Test
    void picklesOfProtocols3To5() {
        for (int proto = 3; proto <= 5; proto++) {
            try (TorchCheckpoint ckpt = TorchCheckpoint.open(fixture("special/protocol" + proto + ".pt"));
                    SafeTensors llm = tiny("sonar_llm")) {
                assertEquals("state_dict", ckpt.stateDictKey());
                assertEquals(List.of("state_dict", "numpy_rng_state", "random_rng_state", "tags", "blob", "nothing",
                        "flag", "ratio", "big", "neg"), ckpt.topLevelKeys());
                assertBitwise(llm.floats("reverse_proj.linear.bias"), ckpt.floats("bias"), "bias " + proto);
                float[] w = java.util.Arrays.copyOf(llm.floats("forward_proj.linear.weight"), 16 * 64);
                assertBitwise(w, ckpt.floats("weight"), "weight " + proto);
            }
        }
    }

    @Test
    void legacyFormatIsRejectedWithHowToResave() {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> TorchCheckpoint.open(fixture("special/legacy.pt")));
        assertTrue(e.getMessage().contains("legacy torch.save format"), e.getMessage());
        assertTrue(e.getMessage().contains("_use_new_zipfile_serialization=True"), e.getMessage());
        assertTrue(e.getMessage().contains("safetensors"), e.getMessage());
    }

    @Test
    void concurrentReadersSeeTheSameValues() throws Exception {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(fixture("authors/checkpoint.pt"))) {
            Map<String, float[]> expected = new LinkedHashMap<>();
            for (String n : ckpt.names()) {
                expected.put(n, ckpt.floats(n));
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    fs.add(pool.submit(() -> {
                        for (int round = 0; round < 5; round++) {
                            expected.forEach((n, v) -> assertBitwise(v, ckpt.floats(n), n));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void closeIsIdempotentAndReadsAfterCloseFail() {
        TorchCheckpoint ckpt = TorchCheckpoint.open(fixture("special/tied.pt"));
        ckpt.close();
        ckpt.close();
        assertThrows(IllegalStateException.class, () -> ckpt.floats("lm_head.weight"));
    }
}
