package org.sonarllm.training.sonar;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.InvalidInputException;

/**
 * The token-embedding lookup of the autoencoder, outside SameDiff: rows of a table gathered by id, and
 * their gradients scattered back into the table. SameDiff 1.0.0-M2.1 cannot differentiate
 * {@code gather} with respect to the table; a one-hot product would cost 2 x vocab x d FLOPs per token.
 * (The tied output projection is the shared {@link org.sonarllm.training.model.VocabularyHead}.)
 *
 * <p>Stateless and thread-safe.
 */
final class TokenEmbeddings {
    private TokenEmbeddings() {}

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
}
