package org.sonarllm.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sonarllm.lang.Language;
import org.sonarllm.models.ModelProvider;
import org.sonarllm.models.SonarModel;
import org.sonarllm.models.SonarModels;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.testing.TinyA;

/** sonarllm-onnx registers its provider: SonarModels finds it and loads bundles as SonarLlm. */
class OnnxModelProviderTest {
    @Test
    void theServiceLoaderFindsTheOnnxProvider() {
        List<ModelProvider> providers = SonarModels.providers();
        assertEquals(List.of(OnnxModelProvider.NAME), providers.stream().map(ModelProvider::name).toList());
        assertInstanceOf(OnnxModelProvider.class, SonarModels.provider());
    }

    @Test
    void aBundleLoadedThroughTheCoreApiEncodesAsTheReferenceDoes() {
        try (SonarModel model = SonarModels.load(TinyABundle.get())) {
            assertInstanceOf(SonarLlm.class, model);
            String text = TinyA.expected().get("a_tokenization").get("cases").get(0).get("text").asText();
            float[] want = TinyA.floats2(TinyA.expected().get("b_encoder").get("embeddings"))[0];
            float[] got = model.encoder().encode(text, Language.ENGLISH);
            assertEquals(want.length, got.length);
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-4, "component " + i);
            }
            float[] eos = TinyA.floats(TinyA.expected().get("b_encoder").get("eos_embedding"));
            float[] recorded = model.manifest().eosEmbedding();
            for (int i = 0; i < eos.length; i++) {
                assertEquals(eos[i], recorded[i], 1e-4, "eos component " + i);
            }
        }
    }
}
