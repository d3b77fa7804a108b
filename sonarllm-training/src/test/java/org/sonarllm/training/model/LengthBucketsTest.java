package org.sonarllm.training.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.training.TrainingFixtures;

class LengthBucketsTest {
    @Test
    void rowsAreCutAtLengthsGrowingByHalfAndSmallGroupsJoinTheNextLongerOne() {
        // bounds 8, 12, 18, 27, 40.5, ...: {3,5,8,8} | {9,10,11,12} | {13 (alone: joins)} {20,21,25,26} | {100 (last, alone: joins)}
        int[] lengths = {100, 3, 9, 25, 5, 10, 8, 11, 20, 12, 8, 21, 13, 26};
        List<int[]> g = LengthBuckets.groups(lengths);
        List<int[]> asLengths = new ArrayList<>();
        for (int[] rows : g) {
            int[] l = new int[rows.length];
            for (int i = 0; i < rows.length; i++) {
                l[i] = lengths[rows[i]];
            }
            asLengths.add(l);
        }
        assertEquals(3, g.size());
        assertArrayEquals(new int[] {3, 5, 8, 8}, asLengths.get(0));
        assertArrayEquals(new int[] {9, 10, 11, 12}, asLengths.get(1));
        assertArrayEquals(new int[] {13, 20, 21, 25, 26, 100}, asLengths.get(2));
        assertEquals(1, LengthBuckets.groups(new int[] {30}).size());
    }

    @Test
    void bucketedCrossEntropyEqualsOneCallOverThePaddedBatch() {
        ConceptLMConfig cfg = TrainingFixtures.small(64);
        Map<String, INDArray> init = ConceptLMWeights.random(cfg, 4, 0.2, DataType.FLOAT);
        // documents whose sentences range from 3 to 40 tokens, so that the batch splits into several groups
        List<Batch.Document> docs = TrainingFixtures.docs(4, 64, 8, 6, 38);
        Batch batch = new Batch(docs, Batch.EOS);
        int pad = TrainingFixtures.decoder().padId();
        long[][] in = batch.decoderInputs(pad);
        int[] lengths = new int[in.length];
        for (int i = 0; i < in.length; i++) {
            lengths[i] = batch.documents().get(i / 5).tokens()[i % 5 + 1].length + 2;
        }
        assertTrue(LengthBuckets.groups(lengths).size() >= 3, "the case must split");

        DecoderCrossEntropy ce = (DecoderCrossEntropy) ConceptLMLoss.create(Objective.CE, cfg, init,
                TrainingFixtures.decoder(), DataType.FLOAT);
        ConceptLMLoss.Step s = ce.step(batch);
        // the reference: the decoder once over the whole padded batch, at the same predictions
        INDArray out = ce.lm().sameDiff().output(ce.lm().feeds(batch.input()), ConceptLMGraph.OUTPUT)
                .get(ConceptLMGraph.OUTPUT);
        float[][] p = Nd4j2.rows(out, batch.predictionRows());
        ImportedSonarDecoder.LossAndGradient whole = TrainingFixtures.decoder().crossEntropy(in, batch.labels(pad), p);
        assertEquals(whole.loss(), s.loss(), 1e-5 * whole.loss());
        assertEquals(whole.targets(), s.weight());
        INDArray diff = s.predictionGradient().sub(whole.gradient());
        assertTrue(diff.norm2Number().doubleValue() <= 1e-4 * whole.gradient().norm2Number().doubleValue(),
                "dL/dP differs by " + diff.norm2Number());
        assertEquals(whole.loss(), ce.value(batch).loss(), 1e-5 * whole.loss());
    }

    /** The supervised rows of an output, as the loss picks them. */
    private static final class Nd4j2 {
        static float[][] rows(INDArray out, int[] rows) {
            INDArray flat = out.reshape(-1, out.size(2));
            return org.nd4j.linalg.factory.Nd4j.pullRows(flat, 1, rows).castTo(DataType.FLOAT).toFloatMatrix();
        }
    }
}
