package org.sonarllm.training.sonar;

import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.InvalidInputException;

/**
 * The parts of the autoencoder step that run outside SameDiff: token-embedding lookup, its gradient
 * (scatter-add into the table) and the softmax cross-entropy of the tied output projection with its
 * gradient with respect to the logits. SameDiff 1.0.0-M2.1 cannot differentiate {@code gather} with
 * respect to the table; doing these three here replaces two one-hot products and a vocabulary-sized
 * one-hot label tensor per step.
 *
 * <p>Stateless and thread-safe.
 */
final class EmbeddingHead {
    private EmbeddingHead() {}

    /**
     * Cross-entropy of one batch.
     *
     * @param loss mean negative log-likelihood over the labelled positions
     * @param logitGradient dLoss/dLogits [rows, vocab] (zero rows at padding), or {@code null} if not asked for
     */
    record Result(double loss, INDArray logitGradient) {}

    /**
     * @param table [vocab, d]
     * @param ids row ids
     * @return a fresh [ids.length, d] array of the table rows
     */
    static INDArray gather(INDArray table, int[] ids) {
        return Nd4j.pullRows(table, 1, ids);
    }

    /**
     * Sums the rows of {@code rowGrads} into the table rows they were gathered from.
     *
     * @param rowGrads [ids.length, d] gradients of gathered rows
     * @param ids the ids they were gathered with
     * @param vocab table rows
     * @param base gradient to add to ([vocab, d]), or {@code null}
     * @return the table gradient [vocab, d] in the type of {@code rowGrads}
     */
    static INDArray scatterAdd(INDArray rowGrads, int[] ids, int vocab, INDArray base) {
        int d = (int) rowGrads.size(1);
        if (rowGrads.size(0) != ids.length) {
            throw new InvalidInputException("expected " + ids.length + " gradient rows, found " + rowGrads.size(0));
        }
        double[] g = doubles(rowGrads);
        double[] out = base == null ? new double[vocab * d] : doubles(base);
        for (int r = 0; r < ids.length; r++) {
            int o = ids[r] * d;
            int s = r * d;
            for (int j = 0; j < d; j++) {
                out[o + j] += g[s + j];
            }
        }
        return Nd4j.createFromArray(out).reshape(vocab, d).castTo(rowGrads.dataType());
    }

    /** A fresh row-major double copy of {@code a}'s elements (one copy unless {@code a} is a view). */
    private static double[] doubles(INDArray a) {
        INDArray c = a.isView() || a.ordering() != 'c' ? a.dup('c') : a;
        return c.data().asDouble();
    }

    /**
     * Softmax cross-entropy with integer labels, computed in double with a max-shifted log-sum-exp.
     *
     * @param logits [rows, vocab]
     * @param labels target id per row, -1 for rows to ignore
     * @param count number of labelled rows (the mean's denominator)
     * @param withGradient whether to return dLoss/dLogits
     * @return loss and optional gradient (in the logits' type)
     */
    static Result crossEntropy(INDArray logits, int[] labels, long count, boolean withGradient) {
        int rows = (int) logits.size(0);
        int vocab = (int) logits.size(1);
        if (labels.length != rows || count <= 0) {
            throw new InvalidInputException("expected " + rows + " labels with at least one target, found "
                    + labels.length + " labels and " + count + " targets");
        }
        double[] z = doubles(logits);
        double[] rowLoss = new double[rows];
        double inv = 1.0 / count;
        IntStream.range(0, rows).parallel().forEach(r -> {
            int label = labels[r];
            int o = r * vocab;
            if (label < 0) {
                if (withGradient) {
                    java.util.Arrays.fill(z, o, o + vocab, 0.0);
                }
                return;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) {
                max = Math.max(max, z[o + v]);
            }
            double sum = 0;
            for (int v = 0; v < vocab; v++) {
                sum += Math.exp(z[o + v] - max);
            }
            double lse = max + Math.log(sum);
            rowLoss[r] = lse - z[o + label];
            if (withGradient) {
                for (int v = 0; v < vocab; v++) {
                    z[o + v] = Math.exp(z[o + v] - lse) * inv;
                }
                z[o + label] -= inv;
            }
        });
        double loss = 0;
        for (double l : rowLoss) {
            loss += l;
        }
        INDArray grad = withGradient ? Nd4j.createFromArray(z).reshape(rows, vocab).castTo(logits.dataType()) : null;
        return new Result(loss * inv, grad);
    }
}
