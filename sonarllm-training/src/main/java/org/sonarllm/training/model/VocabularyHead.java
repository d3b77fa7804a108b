package org.sonarllm.training.model;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.sonarllm.InvalidInputException;

/**
 * The vocabulary-sized end of a SONAR decoder, run outside SameDiff: the output projection of final
 * decoder states {@code h [rows, d]} onto a token table {@code W [vocab, d]} (logits {@code h W^T}; the
 * autoencoder's tied embeddings, or the frozen decoder's {@code lm_head} in the concept LM's
 * cross-entropy), a log-softmax (max-shifted log-sum-exp, in native array ops of the table's type, the
 * loss summed in double) and the mean cross-entropy of
 * <em>integer</em> targets, with the gradients the graphs need: {@code dLoss/dh} (fed back into the
 * decoder graph) and, when the table is trained, {@code dLoss/dW}.
 *
 * <p>Only labelled rows are projected (by index), in chunks of {@link #chunkRows()} rows, so memory is
 * O(chunk x vocab), never O(rows x vocab); no one-hot label tensor exists. Loss = mean over labelled rows
 * of {@code logsumexp(z) - z[label]}; a row whose label is negative is ignored (padding).
 *
 * <pre>{@code
 * VocabularyHead head = new VocabularyHead(table);                  // [vocab, d]
 * VocabularyHead.Result r = head.lossAndGradients(hidden, labels, false);
 * double loss = r.loss(); INDArray dh = r.hiddenGradient();        // [rows, d]
 * }</pre>
 *
 * <p>Thread-safe if the table is not modified concurrently.
 */
public final class VocabularyHead {
    /** Elements of one chunk's logits: 4 Mi (16 MB in float). */
    private static final int CHUNK_ELEMENTS = 1 << 22;

    private final INDArray table;
    private final int chunkRows;

    /**
     * @param table the output projection {@code [vocab, d]} (held, not copied)
     */
    public VocabularyHead(INDArray table) {
        this(table, Math.max(1, CHUNK_ELEMENTS / (int) Math.max(1, table.size(0))));
    }

    /**
     * @param table the output projection {@code [vocab, d]} (held, not copied)
     * @param chunkRows labelled rows projected at once
     */
    public VocabularyHead(INDArray table, int chunkRows) {
        if (table.rank() != 2 || chunkRows < 1) {
            throw new InvalidInputException("expected a [vocab, d] table and chunks of at least one row, found shape "
                    + Arrays.toString(table.shape()) + " and " + chunkRows);
        }
        this.table = table;
        this.chunkRows = chunkRows;
    }

    /** @return the vocabulary size */
    public int vocabSize() {
        return (int) table.size(0);
    }

    /** @return the labelled rows projected at once */
    public int chunkRows() {
        return chunkRows;
    }

    /**
     * @param loss mean negative log-likelihood over the labelled rows
     * @param targets number of labelled rows (the mean's denominator)
     * @param hiddenGradient dLoss/dh {@code [rows, d]} (zero rows where unlabelled), or null if not asked for
     * @param tableGradient dLoss/dW {@code [vocab, d]}, or null if not asked for
     */
    public record Result(double loss, long targets, INDArray hiddenGradient, INDArray tableGradient) {}

    /**
     * @param hidden final decoder states {@code [rows, d]}
     * @return the logits {@code [rows, vocab]} of every row (for tests and inspection; training never needs them)
     */
    public INDArray logits(INDArray hidden) {
        return hidden.mmul(table.transpose());
    }

    /**
     * @param hidden final decoder states {@code [rows, d]}
     * @param labels target id per row, negative to ignore the row
     * @return the loss (no gradient)
     */
    public Result loss(INDArray hidden, int[] labels) {
        return run(hidden, labels, false, false, 0);
    }

    /**
     * @param hidden final decoder states {@code [rows, d]}
     * @param labels target id per row, negative to ignore the row
     * @param tableGradient whether to also return dLoss/dW
     * @return loss and gradients (in the types of {@code hidden} and the table)
     * @throws InvalidInputException on mismatched shapes, a label outside the vocabulary or no label at all
     */
    public Result lossAndGradients(INDArray hidden, int[] labels, boolean tableGradient) {
        return run(hidden, labels, true, tableGradient, 0);
    }

    /**
     * The loss plus {@code entropyWeight x} the mean entropy of the labelled rows' distributions, H = -sum p log p,
     * and its gradients: per row, dH/dlogits = -p (log p + H). A positive weight rewards distributions that commit
     * to few tokens.
     *
     * @param hidden {@code [rows, d]}
     * @param labels one label per row, negative where ignored
     * @param entropyWeight weight of the mean entropy (0 = plain cross-entropy)
     * @param withGradients whether to compute the hidden states' gradient (never the table's)
     * @return loss (cross-entropy + weighted entropy), labelled rows and the hidden gradient or null
     */
    public Result lossWithEntropy(INDArray hidden, int[] labels, double entropyWeight, boolean withGradients) {
        return run(hidden, labels, withGradients, false, entropyWeight);
    }

    private Result run(INDArray hidden, int[] labels, boolean withGrad, boolean withTableGrad, double entropyWeight) {
        int rows = (int) hidden.size(0);
        int d = (int) table.size(1);
        int vocab = vocabSize();
        if (hidden.rank() != 2 || hidden.size(1) != d || labels.length != rows) {
            throw new InvalidInputException("expected hidden states [" + labels.length + ", " + d + "], found "
                    + Arrays.toString(hidden.shape()));
        }
        int[] idx = IntStream.range(0, rows).filter(r -> labels[r] >= 0).toArray();
        if (idx.length == 0) {
            throw new InvalidInputException("expected at least one labelled row, found none in " + rows);
        }
        for (int r : idx) {
            if (labels[r] >= vocab) {
                throw new InvalidInputException("expected token ids below " + vocab + ", found " + labels[r]);
            }
        }
        double inv = 1.0 / idx.length;
        DataType type = table.dataType();
        INDArray dh = withGrad ? Nd4j.zeros(hidden.dataType(), rows, d) : null;
        INDArray dw = withTableGrad ? Nd4j.zeros(type, vocab, d) : null;
        double loss = 0;
        for (int from = 0; from < idx.length; from += chunkRows) {
            int[] part = Arrays.copyOfRange(idx, from, Math.min(idx.length, from + chunkRows));
            INDArray h = Nd4j.pullRows(hidden, 1, part).castTo(type);
            INDArray z = Nd4j.gemm(h, table, false, true);
            double[] picked = new double[part.length];
            for (int i = 0; i < part.length; i++) {
                picked[i] = z.getDouble(i, labels[part[i]]);
            }
            // max-shifted log-sum-exp per row, then (with gradients) z becomes (softmax - onehot) / labelled rows
            INDArray max = z.max(1);
            z.subiColumnVector(max);
            INDArray shifted = entropyWeight != 0 ? z.dup() : null;
            Transforms.exp(z, false);
            INDArray sum = z.sum(1);
            for (int i = 0; i < part.length; i++) {
                double m = max.getDouble(i);
                loss += m + Math.log(sum.getDouble(i)) - picked[i];
            }
            INDArray logZ = null;
            INDArray entropy = null;
            if (shifted != null) {
                // H = log Z - E_p[shifted logits], Z = sum of exp(shifted)
                logZ = Transforms.log(sum, true);
                entropy = logZ.sub(z.mul(shifted).sum(1).divi(sum));
                loss += entropyWeight * entropy.sumNumber().doubleValue();
            }
            if (withGrad) {
                z.diviColumnVector(sum);
                if (shifted != null) {
                    // + w x dH/dlogits = -w p (log p + H), log p = shifted - log Z
                    shifted.subiColumnVector(logZ.sub(entropy)).muli(z).muli(-entropyWeight);
                    z.addi(shifted);
                }
                z.muli(inv);
                for (int i = 0; i < part.length; i++) {
                    int l = labels[part[i]];
                    z.putScalar(i, l, z.getDouble(i, l) - inv);
                }
                INDArray gh = z.mmul(table).castTo(hidden.dataType());
                scatterRows(gh, dh, part);
                if (withTableGrad) {
                    Nd4j.gemm(z, h, dw, true, false, 1.0, 1.0);
                }
                free(gh);
            }
            if (shifted != null) {
                free(shifted, logZ, entropy);
            }
            free(h, z, max, sum); // chunk-sized: freed now rather than whenever the garbage collector runs
        }
        return new Result(loss * inv, idx.length, dh, dw);
    }

    /**
     * Row {@code i} of {@code src} to row {@code rows[i]} of {@code dst}: one memory copy per row through the
     * native buffers when both are plain row-major float or double arrays (a {@code putRow} per row cost 5 % of a
     * CE step: two native calls and a view each), else {@code putRow}.
     */
    static void scatterRows(INDArray src, INDArray dst, int[] rows) {
        int d = (int) src.size(1);
        DataType t = src.dataType();
        boolean plain = t == dst.dataType() && (t == DataType.FLOAT || t == DataType.DOUBLE) && !src.isView()
                && !dst.isView() && src.ordering() == 'c' && dst.ordering() == 'c' && src.size(0) == rows.length
                && dst.size(1) == d;
        if (!plain) {
            for (int i = 0; i < rows.length; i++) {
                dst.putRow(rows[i], src.getRow(i));
            }
            return;
        }
        int w = t.width();
        ByteBuffer from = src.data().asNio();
        ByteBuffer to = dst.data().asNio();
        for (int i = 0; i < rows.length; i++) {
            to.put(rows[i] * d * w, from, i * d * w, d * w);
        }
    }

    private static void free(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a.closeable()) {
                a.close();
            }
        }
    }
}
