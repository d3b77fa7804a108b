package org.sonarllm.training.sonar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.InvalidInputException;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.training.TrainingFixtures;
import org.sonarllm.training.TrainingListener;

/** Added decoder layers start as the identity: the grown space computes what the trained one did, then learns. */
class DecoderGrowthTest {
    @TempDir
    Path tmp;

    private static final SonarConfig ONE = SonarConfig.symmetric(1206, 16, 2, 24, 2, 1, 64);
    private static final SonarConfig THREE = ONE.withDecoderLayers(3);

    @Test
    void grownDecoderGivesTheTrainedDecodersLogitsAndEmbeddings() {
        Map<String, INDArray> trained = new LinkedHashMap<>();
        // every weight non-zero and away from its initial value, as after training
        AutoencoderGraphTest.randomParams(ONE, 5).forEach((k, v) -> trained.put(k, v.castTo(DataType.FLOAT)));
        Map<String, INDArray> grown = DecoderGrowth.grow(trained, ONE, THREE, 9);
        assertEquals(AutoencoderGraph.initParameters(THREE, 0).keySet(), grown.keySet());
        int[][] enc = {{1047, 10, 20, 30, 2}, {1047, 40, 50, 2, 1}};
        int[][] din = {{2, 1047, 10, 20, 30}, {2, 1047, 40, 50, 1}};
        int[][] dout = {{1047, 10, 20, 30, 2}, {1047, 40, 50, 2, 1}};
        float[][] want = AutoencoderGraph.build(ONE, trained, DataType.FLOAT)
                .logits(AutoencoderBatch.plain(enc, din, dout, ONE, DataType.FLOAT)).toFloatMatrix();
        float[][] got = AutoencoderGraph.build(THREE, grown, DataType.FLOAT)
                .logits(AutoencoderBatch.plain(enc, din, dout, THREE, DataType.FLOAT)).toFloatMatrix();
        assertEquals(want.length, got.length);
        double max = 0;
        for (int i = 0; i < want.length; i++) {
            assertArrayEquals(want[i], got[i], 1e-6f, "row " + i);
            for (float v : want[i]) {
                max = Math.max(max, Math.abs(v));
            }
        }
        assertTrue(max > 0.5, "logits are not trivially small: " + max);
        // the added layers' other weights are random, not zero: they can learn once the projections move
        assertTrue(grown.get("dec.layers.2.fc1.weight").norm2Number().doubleValue() > 0.1);
        assertEquals(0, grown.get("dec.layers.2.fc2.weight").norm2Number().doubleValue(), 0);
        assertEquals(0, grown.get("dec.layers.1.encoder_attn.out_proj.bias").norm2Number().doubleValue(), 0);
        assertTrue(trained.get("dec.layers.0.fc2.weight").equalsWithEps(grown.get("dec.layers.0.fc2.weight"), 0));

        assertThrows(InvalidInputException.class, () -> DecoderGrowth.grow(trained, THREE, ONE, 9));
        SonarConfig wider = new SonarConfig(16, 1206, 2, 3, 2, 2, 32, 32, 64);
        assertThrows(InvalidInputException.class, () -> DecoderGrowth.grow(trained, ONE, wider, 9));
    }

    @Test
    void aRunFromAShallowerSpaceTrainsTheAddedLayers() {
        Path corpus = TrainingFixtures.novel(tmp.resolve("corpus"));
        AutoencoderTrainer first = new AutoencoderTrainer(TrainingFixtures.autoencoder(corpus, tmp.resolve("first"), 3),
                TrainingFixtures.autoencoderTraining(2), false);
        first.train(TrainingListener.NONE);
        AutoencoderTrainer.Options o = TrainingFixtures.autoencoder(corpus, tmp.resolve("deeper"), 3);
        SonarConfig m = o.model();
        AutoencoderTrainer.Options grownOptions = new AutoencoderTrainer.Options(o.tokenizerDir(), o.corpus(), o.outDir(),
                m.withDecoderLayers(m.decoderLayers() + 1), o.maxTokens(), o.interpolationFrom(), o.noise(), o.noisedShare(), 0, o.language())
                .withInitFrom(tmp.resolve("first"));
        AutoencoderTrainer grown = new AutoencoderTrainer(grownOptions, TrainingFixtures.autoencoderTraining(2), false);
        String added = "dec.layers." + m.decoderLayers() + ".fc2.weight";
        assertEquals(0, grown.parameters().get(added).norm2Number().doubleValue(), 0);
        assertTrue(first.parameters().get("dec.layers.0.fc1.weight")
                .equalsWithEps(grown.parameters().get("dec.layers.0.fc1.weight"), 0));
        grown.train(TrainingListener.NONE);
        assertTrue(grown.parameters().get(added).norm2Number().doubleValue() > 0, "the added layer learns");
    }
}
