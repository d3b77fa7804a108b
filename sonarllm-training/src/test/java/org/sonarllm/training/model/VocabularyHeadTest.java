package org.sonarllm.training.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.InvalidInputException;

/** The shared vocabulary head: loss by hand, gradients by finite differences (float64), chunking invariance. */
class VocabularyHeadTest {
    private static INDArray random(Random r, int rows, int cols) {
        double[][] a = new double[rows][cols];
        for (double[] row : a) {
            for (int j = 0; j < cols; j++) {
                row[j] = r.nextGaussian();
            }
        }
        return Nd4j.createFromArray(a);
    }

    @Test
    void lossIsTheMeanNegativeLogSoftmaxOfTheLabelledRows() {
        // vocab 3, d 2; rows: h0 = (1, 0) label 2, h1 = padding, h2 = (0, 2) label 0.
        INDArray table = Nd4j.createFromArray(new double[][] {{1, 0}, {0, 1}, {1, 1}});
        INDArray h = Nd4j.createFromArray(new double[][] {{1, 0}, {9, 9}, {0, 2}});
        // logits: h0 -> (1, 0, 1), h2 -> (0, 2, 2)
        double l0 = Math.log(Math.exp(1) + 1 + Math.exp(1)) - 1;
        double l2 = Math.log(1 + 2 * Math.exp(2)) - 0;
        VocabularyHead.Result r = new VocabularyHead(table).loss(h, new int[] {2, -1, 0});
        assertEquals((l0 + l2) / 2, r.loss(), 1e-12);
        assertEquals(2, r.targets());
    }

    @Test
    void gradientsMatchFiniteDifferencesAndDoNotDependOnTheChunkSize() {
        Random r = new Random(3);
        INDArray table = random(r, 11, 5);
        INDArray h = random(r, 7, 5);
        int[] labels = {3, -1, 10, 0, -1, 7, 3};
        VocabularyHead.Result g = new VocabularyHead(table, 2).lossAndGradients(h, labels, true);
        VocabularyHead.Result one = new VocabularyHead(table).lossAndGradients(h, labels, true);
        assertEquals(one.loss(), g.loss(), 1e-12);
        assertTrue(one.hiddenGradient().equalsWithEps(g.hiddenGradient(), 1e-12));
        assertTrue(one.tableGradient().equalsWithEps(g.tableGradient(), 1e-12));
        double eps = 1e-6;
        int checked = 0;
        for (INDArray p : new INDArray[] {h, table}) {
            INDArray an = p == h ? g.hiddenGradient() : g.tableGradient();
            for (long i = 0; i < p.length(); i++) {
                double orig = p.getDouble(i);
                p.putScalar(i, orig + eps);
                double up = new VocabularyHead(table).loss(h, labels).loss();
                p.putScalar(i, orig - eps);
                double down = new VocabularyHead(table).loss(h, labels).loss();
                p.putScalar(i, orig);
                double fd = (up - down) / (2 * eps);
                assertEquals(fd, an.getDouble(i), 1e-8 + 1e-6 * Math.abs(fd), "entry " + i);
                checked++;
            }
        }
        assertEquals(7 * 5 + 11 * 5, checked);
        assertEquals(0, g.hiddenGradient().getRow(1).amaxNumber().doubleValue(), 0, "padding rows get no gradient");
        assertEquals(DataType.DOUBLE, g.hiddenGradient().dataType());
    }

    @Test
    void theEntropyTermIsTheMeanEntropyByHandAndItsGradientMatchesFiniteDifferences() {
        // the hand case of the first test: h0 -> logits (1, 0, 1), h2 -> (0, 2, 2)
        INDArray table = Nd4j.createFromArray(new double[][] {{1, 0}, {0, 1}, {1, 1}});
        INDArray h0 = Nd4j.createFromArray(new double[][] {{1, 0}, {9, 9}, {0, 2}});
        int[] l0 = {2, -1, 0};
        double hand = 0;
        for (double[] z : new double[][] {{1, 0, 1}, {0, 2, 2}}) {
            double sum = Math.exp(z[0]) + Math.exp(z[1]) + Math.exp(z[2]);
            for (double x : z) {
                hand -= Math.exp(x) / sum * Math.log(Math.exp(x) / sum);
            }
        }
        VocabularyHead head = new VocabularyHead(table);
        double ce = head.loss(h0, l0).loss();
        assertEquals(ce + 0.7 * hand / 2, head.lossWithEntropy(h0, l0, 0.7, false).loss(), 1e-12);
        assertEquals(ce, head.lossWithEntropy(h0, l0, 0, true).loss(), 1e-12);

        Random r = new Random(8);
        INDArray t = random(r, 11, 5);
        INDArray h = random(r, 7, 5);
        int[] labels = {3, -1, 10, 0, -1, 7, 3};
        VocabularyHead.Result g = new VocabularyHead(t, 2).lossWithEntropy(h, labels, 1.3, true);
        double eps = 1e-6;
        for (long i = 0; i < h.length(); i++) {
            double orig = h.getDouble(i);
            h.putScalar(i, orig + eps);
            double up = new VocabularyHead(t).lossWithEntropy(h, labels, 1.3, false).loss();
            h.putScalar(i, orig - eps);
            double down = new VocabularyHead(t).lossWithEntropy(h, labels, 1.3, false).loss();
            h.putScalar(i, orig);
            double fd = (up - down) / (2 * eps);
            assertEquals(fd, g.hiddenGradient().getDouble(i), 1e-8 + 1e-6 * Math.abs(fd), "entry " + i);
        }
        double plain = new VocabularyHead(t).lossAndGradients(h, labels, false).hiddenGradient().sub(g.hiddenGradient())
                .norm2Number().doubleValue();
        assertTrue(plain > 1e-3, "the entropy term changes the gradient: " + plain);
    }

    @Test
    void rejectsBadInput() {
        VocabularyHead head = new VocabularyHead(Nd4j.zeros(DataType.FLOAT, 4, 2));
        assertThrows(InvalidInputException.class, () -> head.loss(Nd4j.zeros(DataType.FLOAT, 2, 2), new int[] {-1, -1}));
        assertThrows(InvalidInputException.class, () -> head.loss(Nd4j.zeros(DataType.FLOAT, 2, 2), new int[] {4, 0}));
        assertThrows(InvalidInputException.class, () -> head.loss(Nd4j.zeros(DataType.FLOAT, 2, 3), new int[] {0, 0}));
        assertThrows(InvalidInputException.class, () -> head.loss(Nd4j.zeros(DataType.FLOAT, 2, 2), new int[] {0}));
    }

    @Test
    void scatterRowsWritesEachRowWhereItBelongsAndLeavesTheOthers() {
        for (DataType t : new DataType[] {
                DataType.FLOAT, DataType.DOUBLE}) {
            INDArray src = Nd4j.create(new double[][] {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}).castTo(t);
            int[] rows = {4, 0, 2};
            INDArray dst = Nd4j.zeros(t, 6, 3);
            VocabularyHead.scatterRows(src, dst, rows);
            double[][] want = {{4, 5, 6}, {0, 0, 0}, {7, 8, 9}, {0, 0, 0}, {1, 2, 3}, {0, 0, 0}};
            org.junit.jupiter.api.Assertions.assertArrayEquals(
                    Nd4j.create(want).castTo(DataType.DOUBLE).toDoubleMatrix(),
                    dst.castTo(DataType.DOUBLE).toDoubleMatrix(), t.toString());
            // a view as the source takes the row-by-row path, with the same result
            INDArray wide = Nd4j.create(new double[][] {{1, 2, 3, 0}, {4, 5, 6, 0}, {7, 8, 9, 0}}).castTo(t);
            INDArray view = wide.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 3));
            INDArray dst2 = Nd4j.zeros(t, 6, 3);
            VocabularyHead.scatterRows(view, dst2, rows);
            assertEquals(dst, dst2);
        }
    }
}
