package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.bundle.BundleWriter;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.convert.SonarConverter;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.testing.TinyA;

/** Missing, extra, corrupt and inconsistent bundle and checkpoint files fail with clear messages. */
class BundleValidationTest {
    @TempDir
    Path tmp;

    Path copy() {
        return TinyABundle.copyTo(tmp.resolve("b" + System.nanoTime()));
    }

    static void fails(Path bundle, String fragment) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SonarLlm.load(bundle).close());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void manifestRecordsWhatTheConverterWrote() {
        Bundle b = Bundle.open(TinyABundle.get());
        BundleManifest m = b.manifest();
        assertEquals(BundleManifest.FORMAT_VERSION, m.formatVersion());
        assertEquals(64, m.dimensions().model());
        assertEquals(1206, m.dimensions().vocab());
        assertEquals(1001, m.languages().firstId());
        assertEquals(202, m.languages().codes().size());
        assertEquals(1203, m.specialIds().mask());
        assertEquals("End of sequence.", m.eosText());
        for (String c : List.of("encoder", "decoder", "decoder_cross", "decoder_training", "tokenizer")) {
            assertTrue(b.has(c), c);
        }
    }

    @Test
    void missingExtraAndCorruptFiles() throws Exception {
        Path b = copy();
        Files.delete(b.resolve("decoder.onnx"));
        fails(b, "expected file decoder.onnx, found no such file");

        b = copy();
        Files.delete(b.resolve("decoder.safetensors")); // the weights three graphs share
        fails(b, "expected file decoder.safetensors, found no such file");

        b = copy();
        Files.writeString(b.resolve("notes.txt"), "hello");
        fails(b, "unlisted file notes.txt");

        b = copy();
        byte[] lang = Files.readAllBytes(b.resolve("tokenizer/languages.txt"));
        lang[0] ^= 1;
        Files.write(b.resolve("tokenizer/languages.txt"), lang);
        fails(b, "expected sha256");

        b = copy();
        Files.write(b.resolve("encoder.onnx"), new byte[] {1, 2, 3});
        fails(b, "expected " + Files.size(TinyABundle.get().resolve("encoder.onnx")) + " bytes, found 3");

        b = copy();
        Files.delete(b.resolve("manifest.json"));
        fails(b, "expected manifest.json");
        fails(tmp.resolve("nowhere"), "expected a bundle directory");
    }

    @Test
    void inconsistentManifest() throws Exception {
        Path b = copy();
        editManifest(b, m -> m.put("formatVersion", 99));
        fails(b, "expected format version 1 or 2, found 99");

        b = copy();
        editManifest(b, m -> ((ObjectNode) m.get("dimensions")).put("model", 32));
        fails(b, "expected an eos embedding of dimension 32, found 64");

        b = copy();
        editManifest(b, m -> ((ObjectNode) m.get("components").get("encoder").get("files").get(0))
                .put("path", "../encoder.onnx"));
        fails(b, "expected a relative path inside the bundle");

        b = copy();
        editManifest(b, m -> ((ObjectNode) m.get("components")).remove("decoder"));
        fails(b, "expected component 'decoder', found none");
    }

    /** A copy whose encoder graph is the cross graph, re-hashed: its input names no longer match. */
    private Path withCrossGraphAsEncoder() throws Exception {
        Path b = copy();
        Files.copy(b.resolve("decoder_cross.onnx"), b.resolve("encoder.onnx"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        BundleManifest m = Bundle.readManifest(b);
        BundleWriter.writeManifest(b, m.withComponent(BundleManifest.ENCODER,
                BundleWriter.component(b, List.of(b.resolve("encoder.onnx"), b.resolve("encoder.safetensors")), Map.of())));
        return b;
    }

    @Test
    void graphWithWrongInputsIsRejected() throws Exception {
        fails(withCrossGraphAsEncoder(), "expected input 'input_ids'");
    }

    @Test
    void lazySessionsCheckAGraphOnItsFirstUse() throws Exception {
        Path b = withCrossGraphAsEncoder();
        float[] v = org.sonarllm.testing.TinyA.floats(org.sonarllm.testing.TinyA.expected().get("d_greedy").get("cases")
                .get(2).get("embedding"));
        try (SonarLlm llm = SonarLlm.load(b, RuntimeOptions.builder().lazySessions(true).build())) {
            // the decoder works (tiny-a case d, sentence 2: "comfort"), the broken encoder fails when used, every time
            assertEquals("comfort", llm.decoder().decode(v, org.sonarllm.lang.Language.ENGLISH,
                    org.sonarllm.decode.DecodingOptions.greedy().withMaxTokens(20)).text());
            for (int i = 0; i < 2; i++) {
                ModelFormatException e = assertThrows(ModelFormatException.class,
                        () -> llm.encoder().encode("Hello.", org.sonarllm.lang.Language.ENGLISH));
                assertTrue(e.getMessage().contains("expected input 'input_ids'"), e.getMessage());
            }
        }
    }

    @Test
    void wrongDimensionsInManifestAgainstGraphs() throws Exception {
        Path b = copy();
        editManifest(b, m -> {
            ((ObjectNode) m.get("dimensions")).put("vocab", 2000);
        });
        fails(b, "expected output 'logits' FLOAT [-1, -1, 2000]");
    }

    @Test
    void converterRejectsBadCheckpoints() throws Exception {
        Path src = TinyA.dir();
        // encoder and decoder swapped
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SonarConverter.convert(
                src.resolve("decoder"), src.resolve("encoder"), src.resolve("tokenizer"), tmp.resolve("o1"), Map.of(), OnnxConceptEncoder::open));
        assertTrue(e.getMessage().contains("expected M2M100 encoder keys") || e.getMessage().contains("expected decoder"),
                e.getMessage());
        // config dims disagree with the weights
        Path enc = tmp.resolve("enc");
        Files.createDirectories(enc);
        Files.copy(src.resolve("encoder/model.safetensors"), enc.resolve("model.safetensors"));
        Files.writeString(enc.resolve("config.json"),
                Files.readString(src.resolve("encoder/config.json")).replace("\"encoder_ffn_dim\": 256", "\"encoder_ffn_dim\": 128"));
        e = assertThrows(ModelFormatException.class, () -> SonarConverter.convert(enc, src.resolve("decoder"),
                src.resolve("tokenizer"), tmp.resolve("o2"), Map.of(), OnnxConceptEncoder::open));
        assertTrue(e.getMessage().contains("expected shape [128, 64], found [256, 64]"), e.getMessage());
        // missing file
        Files.delete(enc.resolve("model.safetensors"));
        e = assertThrows(ModelFormatException.class, () -> SonarConverter.convert(enc, src.resolve("decoder"),
                src.resolve("tokenizer"), tmp.resolve("o3"), Map.of(), OnnxConceptEncoder::open));
        assertTrue(e.getMessage().contains(enc + ": expected weights as model.safetensors, model.safetensors.index.json"
                + " (+ shards), pytorch_model.bin or pytorch_model.bin.index.json (+ shards), found [config.json]"),
                e.getMessage());
        // missing tokenizer file
        Path tok = tmp.resolve("tok");
        Files.createDirectories(tok);
        Files.copy(src.resolve("tokenizer/languages.txt"), tok.resolve("languages.txt"));
        e = assertThrows(ModelFormatException.class, () -> SonarConverter.convert(src.resolve("encoder"),
                src.resolve("decoder"), tok, tmp.resolve("o4"), Map.of(), OnnxConceptEncoder::open));
        assertTrue(e.getMessage().contains("sentencepiece.bpe.model"), e.getMessage());
        // non-empty output
        Path out = tmp.resolve("o5");
        Files.createDirectories(out);
        Files.writeString(out.resolve("x"), "x");
        assertThrows(InvalidInputException.class, () -> SonarConverter.convert(src.resolve("encoder"),
                src.resolve("decoder"), src.resolve("tokenizer"), out, Map.of(), OnnxConceptEncoder::open));
    }

    static void editManifest(Path b, java.util.function.Consumer<ObjectNode> edit) throws Exception {
        Path f = b.resolve("manifest.json");
        ObjectNode n = (ObjectNode) Bundle.mapper().readTree(f.toFile());
        edit.accept(n);
        Bundle.mapper().writeValue(f.toFile(), n);
    }
}
