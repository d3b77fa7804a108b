package org.sonarllm.training.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.testing.TinyA;
import org.sonarllm.training.TrainingConfig;
import org.sonarllm.training.TrainingFixtures;
import org.sonarllm.training.TrainingListener;
import org.sonarllm.training.data.Dataset;
import org.sonarllm.training.lm.ConceptLMTrainer;
import org.sonarllm.training.optim.AdamW;
import org.sonarllm.training.optim.GradientClipping;

/**
 * A short CE run of the trainer (imported decoder, head outside the graph, the one loop) tracks an
 * independent reference loop written here: the hand-written one-graph CE ({@link HandWrittenCrossEntropy}),
 * clipping and AdamW step by step, from the same initial weights; and the loss falls.
 */
class TrainingAgainstReferenceTest {
    @TempDir
    Path tmp;

    @Test
    void crossEntropyTrainingTracksTheHandWrittenReferenceAndLowersTheLoss() {
        ConceptLMConfig cfg = TrainingFixtures.small(64);
        Dataset data = new Dataset(TrainingFixtures.docs(4, 64, 3), List.of());
        TrainingConfig t = TrainingConfig.defaults().withSteps(8).withBatchSize(4).withLearningRate(3e-3, 3e-3, 0)
                .withCheckpointEvery(100).withSeed(1);
        ConceptLMTrainer trainer = ConceptLMTrainer.builder().model(cfg).decoder(TrainingFixtures.decoder()).training(t)
                .outputDir(tmp.resolve("run")).build();
        List<Double> got = new ArrayList<>();
        double before = trainer.evaluate(data.train());
        trainer.train(data, new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                got.add(m.loss());
            }
        });

        HandWrittenCrossEntropy ref = new HandWrittenCrossEntropy(cfg, ConceptLMWeights.random(cfg, 1, 0.02, DataType.FLOAT),
                FrozenSonarDecoder.load(TinyA.dir().resolve("decoder")), DataType.FLOAT);
        Batch batch = new Batch(data.train(), Batch.EOS);
        assertEquals(ref.loss(batch), before, 1e-4 * before);
        AdamW adam = new AdamW(t.beta1(), t.beta2(), t.adamEps(), t.weightDecay());
        List<Double> want = new ArrayList<>();
        for (int s = 0; s < t.steps(); s++) {
            want.add(ref.loss(batch));
            Map<String, INDArray> g = new LinkedHashMap<>();
            ref.gradients(batch).forEach((k, v) -> g.put(k, v.dup()));
            GradientClipping.clip(g, t.clipNorm());
            adam.step(ref.lm().parameters(), g, t.learningRate());
        }
        for (int i = 0; i < want.size(); i++) {
            assertEquals(want.get(i), got.get(i), 1e-3 * want.get(i), "step " + (i + 1) + ": " + got + " vs " + want);
        }
        double after = trainer.evaluate(data.train());
        assertTrue(after < 0.9 * before, "loss " + before + " -> " + after);
    }
}
