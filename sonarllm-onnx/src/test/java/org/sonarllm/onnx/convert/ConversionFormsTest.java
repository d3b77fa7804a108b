package org.sonarllm.onnx.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import org.sonarllm.onnx.testing.TinyACases;
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.onnx.weights.SafeTensorsWriter;
import org.sonarllm.onnx.weights.TensorSources;
import org.sonarllm.testing.TinyA;

/**
 * The files users download, converted as they are (issue 11): the Hugging Face NLLB tokenizer folder
 * without {@code languages.txt}; the encoder and decoder as {@code pytorch_model.bin}, sharded {@code .bin}
 * and sharded safetensors; the SONAR-LLM authors' {@code checkpoint.pt} (numpy RNG state inside) with
 * {@code SonarLLM_tiny.json}; the Hugging Face concept-LM layout ({@code config.json} with {@code
 * add_begin}, state dict wrapped in {@code model_state_dict}). Every bundle reproduces tiny-a's cases b-g
 * with the fixture's tolerances, exactly as the bundle from the safetensors layout does, and holds
 * byte-identical weights files (so the same outputs).
 */
class ConversionFormsTest {
    @TempDir
    static Path tmp;
    static Path baseline;

    static Path torch(String name) {
        try {
            return Path.of(ConversionFormsTest.class.getResource("/torch/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The Hugging Face tokenizer folder of tiny-a (sonarllm-core test resources), as files. */
    static Path hfTokenizer() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("hf-tokenizer"));
        for (String f : List.of("sentencepiece.bpe.model", "tokenizer_config.json", "special_tokens_map.json")) {
            try (InputStream in = ConversionFormsTest.class.getResourceAsStream("/org/sonarllm/tokenize/hf-tiny-a/" + f)) {
                Files.copy(in, d.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return d;
    }

    /** A checkpoint folder split into {@code n} safetensors shards with the index transformers writes. */
    static Path shardedSafetensors(Path src, String name, int n) throws IOException {
        Path d = Files.createDirectories(tmp.resolve(name));
        Files.copy(src.resolve("config.json"), d.resolve("config.json"));
        ObjectNode index = new ObjectMapper().createObjectNode();
        ObjectNode map = index.putObject("weight_map");
        try (SafeTensors st = SafeTensors.open(src.resolve("model.safetensors"))) {
            List<String> names = st.names();
            for (int i = 0; i < n; i++) {
                String shard = String.format("model-%05d-of-%05d.safetensors", i + 1, n);
                SafeTensorsWriter w = new SafeTensorsWriter();
                for (int k = i; k < names.size(); k += n) {
                    w.copy(names.get(k), st, names.get(k));
                    map.put(names.get(k), shard);
                }
                w.write(d.resolve(shard));
            }
        }
        new ObjectMapper().writeValue(d.resolve(TensorSources.SAFETENSORS_INDEX).toFile(), index);
        return d;
    }

    static Bundle convert(String name, Path enc, Path dec, Path tok, Path conceptLm) {
        Map<String, SonarConverter.ComponentWriter> extras = new LinkedHashMap<>();
        extras.put(BundleManifest.CONCEPT_LM, ConceptLmConverter.componentWriter(conceptLm, 0));
        List<String> steps = new ArrayList<>();
        Bundle b = SonarConverter.convert(enc, dec, tok, tmp.resolve(name), extras, OnnxConceptEncoder::open,
                (step, done, total) -> {
                    if (steps.isEmpty() || !steps.get(steps.size() - 1).equals(step)) {
                        steps.add(step);
                    }
                });
        assertEquals(List.of(SonarConverter.ENCODER_WEIGHTS, SonarConverter.DECODER_WEIGHTS,
                ConceptLmConverter.WEIGHTS_FILE, "eos"), steps, "progress reports");
        return b;
    }

    @BeforeAll
    static void convertSafetensorsLayout() {
        Path a = TinyA.dir();
        baseline = convert("from-safetensors", a.resolve("encoder"), a.resolve("decoder"), a.resolve("tokenizer"),
                a.resolve("sonar_llm")).dir();
    }

    static void assertSameWeights(Path bundle) {
        for (String f : List.of(SonarConverter.ENCODER_WEIGHTS, SonarConverter.DECODER_WEIGHTS, ConceptLmConverter.WEIGHTS_FILE)) {
            assertEquals(Bundle.sha256(baseline.resolve(f)), Bundle.sha256(bundle.resolve(f)), f);
        }
    }

    static void assertSameOutputs(SonarLlm llm) {
        try (SonarLlm base = SonarLlm.load(baseline)) {
            assertArrayEquals(base.manifest().eosEmbedding(), llm.manifest().eosEmbedding());
            assertEquals(base.manifest().languages(), llm.manifest().languages());
            assertEquals(base.manifest().dimensions(), llm.manifest().dimensions());
            float[] e = TinyA.floats(TinyA.expected().get("b_encoder").get("embeddings").get(0));
            assertArrayEquals(base.conceptLm().predictAll(List.of(e)).get(0), llm.conceptLm().predictAll(List.of(e)).get(0));
        }
    }

    @Test
    void safetensorsLayoutReproducesTinyA() {
        Bundle b = Bundle.open(baseline);
        assertEquals(BundleManifest.FORMAT_VERSION, b.manifest().formatVersion());
        assertFalse(b.manifest().conceptLmAddBegin());
        Map<String, Object> cfg = cast(b.manifest().components().get(BundleManifest.CONCEPT_LM).properties()
                .get(BundleManifest.CONCEPT_LM_CONFIG));
        assertEquals(ConceptLMConfig.read(TinyA.dir().resolve("sonar_llm/config.json")),
                ConceptLMConfig.parse(new ObjectMapper().valueToTree(cfg)));
        try (SonarLlm llm = SonarLlm.load(baseline)) {
            TinyACases.all(llm);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> cast(Object o) {
        return (Map<String, Object>) o;
    }

    /** What the releases hold: HF tokenizer folder, pytorch_model.bin ports, the authors' checkpoint.pt. */
    @Test
    void releasedFilesAsDownloaded() throws IOException {
        Path tok = hfTokenizer();
        assertFalse(Files.exists(tok.resolve("languages.txt")));
        Bundle b = convert("from-torch", torch("encoder"), torch("decoder"), tok, torch("authors"));
        assertFalse(b.manifest().conceptLmAddBegin());
        assertFalse(Files.exists(b.dir().resolve("tokenizer/languages.txt")));
        assertTrue(Files.exists(b.dir().resolve("tokenizer/special_tokens_map.json")));
        assertSameWeights(b.dir());
        try (SonarLlm llm = SonarLlm.load(b.dir())) {
            TinyACases.all(llm);
            assertSameOutputs(llm);
        }
    }

    /** Sharded checkpoints (safetensors encoder, .bin decoder) and the HF concept-LM layout with add_begin. */
    @Test
    void shardedCheckpointsAndTheHuggingFaceConceptLmLayout() throws IOException {
        Path enc = shardedSafetensors(TinyA.dir().resolve("encoder"), "encoder-sharded", 3);
        Bundle b = convert("from-shards", enc, torch("decoder-sharded"), TinyA.dir().resolve("tokenizer"), torch("hf"));
        assertTrue(b.manifest().conceptLmAddBegin(), "add_begin recorded");
        assertSameWeights(b.dir());
        try (SonarLlm llm = SonarLlm.load(b.dir())) {
            TinyACases.all(llm);
            assertSameOutputs(llm);
        }
    }
}
