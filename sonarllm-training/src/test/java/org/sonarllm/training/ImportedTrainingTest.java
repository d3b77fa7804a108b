package org.sonarllm.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.training.data.Dataset;
import org.sonarllm.training.model.ImportedSonarDecoder;

/** A short CE run through the bundle's imported decoder tracks the hand-written decoder and lowers the loss. */
class ImportedTrainingTest {
    @TempDir
    Path tmp;

    @Test
    void crossEntropyThroughImportedDecoderFallsAndMatchesHandWrittenPath() {
        Dataset data = new Dataset(ConceptLMTrainerTest.docs(4, 64, 3), List.of());
        TrainingConfig t = TrainingConfig.defaults().withSteps(8).withBatchSize(4).withLearningRate(3e-3, 3e-3, 0)
                .withCheckpointEvery(100).withSeed(1);
        ConceptLMTrainer imp = ConceptLMTrainer.builder().model(ConceptLMTrainerTest.small(64))
                .importedDecoder(ImportedSonarDecoder.fromBundle(TinyABundle.get())).training(t)
                .outputDir(tmp.resolve("imp")).build();
        ConceptLMTrainer hand = ConceptLMTrainer.builder().model(ConceptLMTrainerTest.small(64))
                .decoder(ConceptLMTrainerTest.decoder()).training(t).outputDir(tmp.resolve("hand")).build();
        double before = imp.evaluate(data.train());
        assertEquals(hand.evaluate(data.train()), before, 1e-4 * before);
        List<Double> li = new ArrayList<>();
        List<Double> lh = new ArrayList<>();
        imp.train(data, new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                li.add(m.loss());
            }
        });
        hand.train(data, new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                lh.add(m.loss());
            }
        });
        for (int i = 0; i < 3; i++) {
            assertEquals(lh.get(i), li.get(i), 1e-3 * lh.get(i), "step " + i + " losses " + li + " vs " + lh);
        }
        double after = imp.evaluate(data.train());
        assertTrue(after < 0.9 * before, "loss " + before + " -> " + after);
    }
}
