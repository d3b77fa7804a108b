package org.sonarllm.training.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.generate.GenerationOptions;
import org.sonarllm.generate.GenerationResult;
import org.sonarllm.generate.SonarLlmGenerator;
import org.sonarllm.generate.StopCriterion;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.runtime.OnnxConceptLm;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.testing.TinyA;
import org.sonarllm.training.TrainingConfig;
import org.sonarllm.training.TrainingListener;
import org.sonarllm.training.TrainingResult;
import org.sonarllm.training.data.Dataset;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.training.model.ConceptLMGraph;
import org.sonarllm.training.model.ConceptLMWeights;
import org.sonarllm.training.model.ImportedSonarDecoder;

/** Train a few steps from the tiny-a concept LM, export into a bundle, run the Generator on it. */
class EndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void trainExportAndGenerate() {
        ConceptLMConfig cfg = ConceptLMConfig.read(TinyA.dir().resolve("sonar_llm/config.json"));
        ConceptLMTrainer t = ConceptLMTrainer.builder().model(cfg)
                .initialParameters(ConceptLMWeights.fromSafeTensors(TinyA.dir().resolve("sonar_llm/model.safetensors"), cfg, DataType.FLOAT))
                .decoder(ImportedSonarDecoder.fromBundle(TinyABundle.get()))
                .training(TrainingConfig.defaults().withSteps(3).withBatchSize(2).withLearningRate(1e-4, 1e-4, 0))
                .outputDir(tmp.resolve("work")).build();
        Dataset data = new Dataset(org.sonarllm.training.model.CaseHTestAccess.caseHDocuments(), List.of());
        TrainingResult r = t.train(data, TrainingListener.NONE);
        assertEquals(3, r.steps());

        Path out = tmp.resolve("bundle");
        Path onnx = ConceptLMExport.toBundle(cfg, t.parameters(), TinyABundle.get(), out);
        assertTrue(Files.exists(onnx));
        assertTrue(Bundle.open(out).has(BundleManifest.CONCEPT_LM));

        JsonNode f = TinyA.expected().get("f_concept_lm");
        float[][] in = TinyA.floats2(f.get("input_embeddings"));
        INDArray x = Nd4j.createFromArray(new float[][][] {in});
        ConceptLMGraph lm = t.loss().lm();
        INDArray mine = lm.sameDiff().output(lm.feeds(x), ConceptLMGraph.OUTPUT).get(ConceptLMGraph.OUTPUT);
        float[][] before = TinyA.floats2(f.get("predicted"));
        try (ConceptLM ort = OnnxConceptLm.open(onnx)) {
            List<float[]> pred = ort.predictAll(List.of(in));
            double max = 0;
            double moved = 0;
            for (int i = 0; i < in.length; i++) {
                for (int j = 0; j < in[i].length; j++) {
                    max = Math.max(max, Math.abs(pred.get(i)[j] - mine.getDouble(0, i, j)));
                    moved = Math.max(moved, Math.abs(pred.get(i)[j] - before[i][j]));
                }
            }
            assertEquals(0, max, 1e-4, "ORT vs SameDiff after training");
            assertTrue(moved > 1e-5, "training changed the predictions by " + moved);

            try (SonarLlm llm = SonarLlm.load(out)) {
                SonarLlmGenerator g = SonarLlmGenerator.builder().segmenter(SentenceSegmenters.ruleBased(org.sonarllm.lang.Language.ENGLISH))
                        .encoder(llm.encoder()).conceptLm(ort).decoder(llm.decoder())
                        .eosEmbedding(llm.manifest().eosEmbedding()).build();
                GenerationOptions o = GenerationOptions.builder().stopCriterion(StopCriterion.maxSentences(2))
                        .decoding(new org.sonarllm.decode.DecodingOptions(org.sonarllm.decode.DecodingOptions.greedy().strategy(), 16)).build();
                GenerationResult res = g.generateSentences(
                        List.of(f.get("texts").get(0).asText(), f.get("texts").get(1).asText()), o,
                        s -> { });
                assertFalse(res.sentences().isEmpty(), "stop reason " + res.stopReason());
                assertFalse(res.generatedText().isBlank());
            }
        }
    }
}
