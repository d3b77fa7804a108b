package org.sonarllm.training.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.InvalidInputException;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.training.TrainingFixtures;

/**
 * CE + w x MSE against its two parts computed independently: the pure CE loss of the same weights (the
 * imported tiny-a decoder) and the in-graph {@link MseLoss} (SameDiff's own autodiff), for loss and every
 * parameter gradient.
 */
class MixtureLossTest {
    private static final double W = 3.5;

    private static final ConceptLMConfig CFG = TrainingFixtures.small(64);
    private static final Map<String, INDArray> INIT = ConceptLMWeights.random(CFG, 9, 0.2, DataType.FLOAT);
    private static final Batch BATCH = new Batch(TrainingFixtures.docs(3, 64, 21), Batch.EOS);

    /** @return the loss of {@code o} with {@code anchors} on the shared weights and the tiny-a decoder */
    private static ConceptLMLoss loss(Objective o, ConceptLMLoss.Anchors anchors) {
        return ConceptLMLoss.create(o, anchors, CFG, INIT, o == Objective.CE ? TrainingFixtures.decoder() : null,
                DataType.FLOAT);
    }

    @Test
    void lossAndGradientsAreCePlusWeightTimesMse() {
        Batch batch = BATCH;
        ConceptLMLoss mix = loss(Objective.CE, new ConceptLMLoss.Anchors(W, 0));
        ConceptLMLoss ce = loss(Objective.CE, ConceptLMLoss.Anchors.NONE);
        ConceptLMLoss mse = loss(Objective.MSE, ConceptLMLoss.Anchors.NONE);

        ConceptLMLoss.Step m = mix.step(batch);
        ConceptLMLoss.Step c = ce.step(batch);
        ConceptLMLoss.Step s = mse.step(batch);
        assertTrue(s.loss() > 0.001, "the MSE term must matter: " + s.loss());
        assertEquals(c.loss() + W * s.loss(), m.loss(), 1e-5 * m.loss());
        assertEquals(m.loss(), mix.value(batch).loss(), 1e-5 * m.loss());
        assertEquals(c.weight(), m.weight());
        double maxMse = 0;
        for (String name : mix.lm().parameterNames()) {
            INDArray expected = c.gradients().get(name).add(s.gradients().get(name).mul(W));
            INDArray got = m.gradients().get(name);
            double scale = expected.norm2Number().doubleValue();
            double err = got.sub(expected).norm2Number().doubleValue();
            assertTrue(err <= 1e-4 * scale + 1e-7, name + ": |difference| " + err + " of |gradient| " + scale);
            maxMse = Math.max(maxMse, s.gradients().get(name).norm2Number().doubleValue() * W / scale);
        }
        assertTrue(maxMse > 0.01, "the MSE part must be a visible share of some gradient: " + maxMse);
        assertEquals(new ConceptLMLoss.Anchors(W, 0), mix.anchors());
    }

    /** 2.5 x mean over rows of (|p| - |y|)^2, in double. */
    private static double normTerm(double[][] p, float[][] y) {
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            double np = 0;
            double ny = 0;
            for (int j = 0; j < p[i].length; j++) {
                np += p[i][j] * p[i][j];
                ny += (double) y[i][j] * y[i][j];
            }
            sum += Math.pow(Math.sqrt(np) - Math.sqrt(ny), 2);
        }
        return 2.5 * sum / p.length;
    }

    @Test
    void theNormTermAndItsGradientAtThePredictionsMatchFiniteDifferences() {
        Batch batch = BATCH;
        ConceptLMLoss norm = loss(Objective.CE, new ConceptLMLoss.Anchors(0, 2.5));
        ConceptLMLoss ce = loss(Objective.CE, ConceptLMLoss.Anchors.NONE);
        ConceptLMLoss.Step n = norm.step(batch);
        ConceptLMLoss.Step c = ce.step(batch);
        INDArray out = ce.lm().sameDiff().output(ce.lm().feeds(batch.input()), ConceptLMGraph.OUTPUT)
                .get(ConceptLMGraph.OUTPUT);
        float[][] pf = org.nd4j.linalg.factory.Nd4j.pullRows(out.reshape(-1, out.size(2)), 1, batch.predictionRows())
                .toFloatMatrix();
        double[][] p = new double[pf.length][];
        for (int i = 0; i < pf.length; i++) {
            p[i] = new double[pf[i].length];
            for (int j = 0; j < pf[i].length; j++) {
                p[i][j] = pf[i][j];
            }
        }
        float[][] y = batch.nextEmbeddingRows();
        double term = normTerm(p, y);
        assertTrue(term > 0.01, "the term must matter: " + term);
        assertEquals(c.loss() + term, n.loss(), 1e-5 * n.loss());
        INDArray extra = n.predictionGradient().sub(c.predictionGradient());
        java.util.Random r = new java.util.Random(4);
        for (int k = 0; k < 20; k++) {
            int i = r.nextInt(p.length);
            int j = r.nextInt(p[0].length);
            double keep = p[i][j];
            p[i][j] = keep + 1e-6;
            double up = normTerm(p, y);
            p[i][j] = keep - 1e-6;
            double down = normTerm(p, y);
            p[i][j] = keep;
            double fd = (up - down) / 2e-6;
            assertEquals(fd, extra.getDouble(i, j), 1e-5 + 1e-3 * Math.abs(fd), "dTerm/dP[" + i + "][" + j + "]");
        }
    }

    @Test
    void predictionNoiseIsWhatTheDecoderSeesWhileTrainingAndNothingElse() {
        List<Batch.Document> docs = new ArrayList<>();
        for (Batch.Document d : BATCH.documents()) {
            docs.add(d.withNoiseSeed(docs.size() + 7));
        }
        Batch batch = new Batch(docs, Batch.EOS);
        ConceptLMLoss noisy = loss(Objective.CE, new ConceptLMLoss.Anchors(0, 0, 0.5));
        ConceptLMLoss ce = loss(Objective.CE, ConceptLMLoss.Anchors.NONE);
        ConceptLMLoss.Step n = noisy.step(batch);
        // the independent path: the LM's predictions plus the batch's noise, through the decoder's own call
        INDArray out = ce.lm().sameDiff().output(ce.lm().feeds(batch.input()), ConceptLMGraph.OUTPUT)
                .get(ConceptLMGraph.OUTPUT);
        float[][] p = Nd4j.pullRows(out.reshape(-1, out.size(2)), 1, batch.predictionRows()).toFloatMatrix();
        float[][] noise = batch.predictionNoise(0.5);
        for (int i = 0; i < p.length; i++) {
            for (int j = 0; j < p[i].length; j++) {
                p[i][j] += noise[i][j];
            }
        }
        ImportedSonarDecoder dec = TrainingFixtures.decoder();
        ImportedSonarDecoder.LossAndGradient expected = dec.crossEntropy(batch.decoderInputs(dec.padId()),
                batch.labels(dec.padId()), p);
        double clean = ce.step(batch).loss();
        assertTrue(Math.abs(expected.loss() - clean) > 1e-3, "the noise must change the loss: " + clean);
        assertEquals(expected.loss(), n.loss(), 1e-5 * n.loss());
        double scale = expected.gradient().norm2Number().doubleValue();
        double err = n.predictionGradient().sub(expected.gradient()).norm2Number().doubleValue();
        assertTrue(err <= 1e-4 * scale, "|difference| " + err + " of |gradient| " + scale);
        // validation decodes the predictions as they are
        assertEquals(clean, noisy.value(batch).loss(), 1e-5 * clean);
    }

    @Test
    void theEntropyTermIsTheImportedDecodersMeanEntropyAtTheLabelledPositions() {
        ConceptLMLoss withEntropy = loss(Objective.CE, new ConceptLMLoss.Anchors(0, 0, 0, 0.8));
        ConceptLMLoss ce = loss(Objective.CE, ConceptLMLoss.Anchors.NONE);
        ConceptLMLoss.Step e = withEntropy.step(BATCH);
        ConceptLMLoss.Step c = ce.step(BATCH);
        // the independent path: the decoder graph's own logits (SameDiff output), entropy summed here in double
        INDArray out = ce.lm().sameDiff().output(ce.lm().feeds(BATCH.input()), ConceptLMGraph.OUTPUT)
                .get(ConceptLMGraph.OUTPUT);
        float[][] p = Nd4j.pullRows(out.reshape(-1, out.size(2)), 1, BATCH.predictionRows()).toFloatMatrix();
        ImportedSonarDecoder dec = TrainingFixtures.decoder();
        long[][] labels = BATCH.labels(dec.padId());
        INDArray logits = dec.logits(BATCH.decoderInputs(dec.padId()), p).castTo(DataType.DOUBLE);
        double h = 0;
        long n = 0;
        for (int i = 0; i < labels.length; i++) {
            for (int t = 0; t < labels[i].length; t++) {
                if (labels[i][t] == dec.padId()) {
                    continue;
                }
                double[] l = logits.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i),
                        org.nd4j.linalg.indexing.NDArrayIndex.point(t), org.nd4j.linalg.indexing.NDArrayIndex.all())
                        .toDoubleVector();
                double max = java.util.Arrays.stream(l).max().orElseThrow();
                double z = java.util.Arrays.stream(l).map(x -> Math.exp(x - max)).sum();
                for (double x : l) {
                    double q = Math.exp(x - max) / z;
                    h -= q > 0 ? q * Math.log(q) : 0;
                }
                n++;
            }
        }
        h /= n;
        assertTrue(h > 0.1, "entropy " + h);
        assertEquals(c.loss() + 0.8 * h, e.loss(), 1e-4 * e.loss());
        assertEquals(e.loss(), withEntropy.value(BATCH).loss(), 1e-5 * e.loss());
        double diff = e.predictionGradient().sub(c.predictionGradient()).norm2Number().doubleValue();
        assertTrue(diff > 1e-4 * c.predictionGradient().norm2Number().doubleValue(), "the term moves dL/dP: " + diff);
    }

    @Test
    void aWeightIsRefusedForMseAndOutOfRange() {
        assertEquals("expected the ce objective with anchor weights (MSE 0.0, norm 0.0, prediction noise 0.1, entropy 0.0), found mse",
                assertThrows(InvalidInputException.class, () -> loss(Objective.MSE, new ConceptLMLoss.Anchors(0, 0, 0.1)))
                        .getMessage());
        assertEquals("expected an entropy weight >= 0, found -1.0", assertThrows(InvalidInputException.class,
                () -> new ConceptLMLoss.Anchors(0, 0, 0, -1)).getMessage());
        assertEquals("expected prediction noise in 0..2.0, found 2.5", assertThrows(InvalidInputException.class,
                () -> new ConceptLMLoss.Anchors(0, 0, 2.5)).getMessage());
        assertEquals("expected the ce objective with anchor weights (MSE 1.0, norm 0.0, prediction noise 0.0, entropy 0.0), found mse",
                assertThrows(InvalidInputException.class, () -> loss(Objective.MSE, new ConceptLMLoss.Anchors(1.0, 0)))
                        .getMessage());
        assertEquals("expected anchor weights >= 0, found MSE -1.0, norm 0.0", assertThrows(InvalidInputException.class,
                () -> new ConceptLMLoss.Anchors(-1.0, 0)).getMessage());
        assertThrows(InvalidInputException.class, () -> new ConceptLMLoss.Anchors(0, Double.NaN));
    }
}
