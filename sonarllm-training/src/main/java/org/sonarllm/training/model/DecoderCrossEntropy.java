package org.sonarllm.training.model;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.model.ConceptLMConfig;

/**
 * {@link Objective#CE} through the frozen decoder, an exact chain rule across two graphs in one pass each:
 * the concept LM's gradient call runs its forward pass; the moment its output exists, the supervised rows
 * P are picked by index and the decoder's own one-pass gradient call (with the shared
 * {@link VocabularyHead}) gives the CE loss and G = dL/dP; G is scattered back to the output's shape as
 * the {@code G} of the concept LM's surrogate {@code sum(output * G)} ({@link OnePassGradient}), whose
 * backward pass then yields the CE gradients of every concept-LM parameter. No graph runs forward twice.
 * With {@link ConceptLMLoss.Anchors}, the loss is CE + m x mean((P - Y)^2) (rows and dimensions; Y the next
 * embeddings: the same MSE as {@link MseLoss}) + n x mean((|p| - |y|)^2) (rows), and G gains their gradients
 * m x 2 (P - Y) / (rows x d) and n x 2 (|p| - |y|) p / (|p| x rows), beside the decoder. With anchor noise, the
 * decoder sees P + the batch's prediction noise while training (the terms and {@link #value} see P). With an
 * anchor entropy weight e, the decoder's loss is CE + e x the mean entropy of its token distributions
 * ({@link VocabularyHead#lossWithEntropy}), in training and validation alike.
 * The decoder runs on the predictions in {@link LengthBuckets} groups (little padding), combined exactly.
 */
final class DecoderCrossEntropy implements ConceptLMLoss {
    private static final String OUTPUT_GRAD = "predicted_embeddings_grad";

    private final ConceptLMGraph lm;
    private final ImportedSonarDecoder decoder;
    private final DataType dtype;
    private final OnePassGradient onePass;
    private final Anchors anchors;

    DecoderCrossEntropy(ConceptLMConfig cfg, Map<String, INDArray> params, ImportedSonarDecoder decoder, DataType dtype,
            Anchors anchors) {
        this.anchors = anchors;
        SameDiff sd = SameDiff.create();
        this.lm = ConceptLMGraph.build(sd, cfg, dtype, params);
        this.decoder = decoder;
        this.dtype = dtype;
        this.onePass = new OnePassGradient(sd, ConceptLMGraph.OUTPUT, OUTPUT_GRAD);
    }

    /** The supervised rows of the concept LM's output {@code [b, t, d]}, [predictions][d] in float. */
    private static float[][] pick(INDArray out, int[] rows) {
        INDArray flat = out.reshape(-1, out.size(2));
        return Nd4j.pullRows(flat, 1, rows).castTo(DataType.FLOAT).toFloatMatrix();
    }

    /**
     * The anchor terms: returns their value and, when {@code grad} is not null, adds their gradient w.r.t. P.
     */
    private double addAnchors(float[][] p, Batch batch, INDArray grad) {
        if (!anchors.any()) {
            return 0;
        }
        float[][] y = batch.nextEmbeddingRows();
        int rows = p.length;
        int d = p[0].length;
        double mse = 0;
        double norm = 0;
        float[][] g = new float[rows][d];
        for (int i = 0; i < rows; i++) {
            double np = 0;
            double ny = 0;
            for (int j = 0; j < d; j++) {
                double diff = (double) p[i][j] - y[i][j];
                mse += diff * diff;
                g[i][j] = (float) (anchors.mse() * 2 * diff / ((double) rows * d));
                np += (double) p[i][j] * p[i][j];
                ny += (double) y[i][j] * y[i][j];
            }
            np = Math.sqrt(np);
            ny = Math.sqrt(ny);
            norm += (np - ny) * (np - ny);
            if (anchors.norm() != 0 && np > 0) {
                double f = anchors.norm() * 2 * (np - ny) / (np * rows);
                for (int j = 0; j < d; j++) {
                    g[i][j] += (float) (f * p[i][j]);
                }
            }
        }
        if (grad != null) {
            grad.addi(Nd4j.createFromArray(g).castTo(grad.dataType()));
        }
        return anchors.mse() * mse / ((double) rows * d) + anchors.norm() * norm / rows;
    }

    /**
     * @return {@code p} plus the batch's {@link Batch#predictionNoise} when the anchors have noise, else {@code p};
     *     the noise is a constant, so the CE gradient at the noised rows is the gradient w.r.t. {@code p}
     */
    private float[][] noised(float[][] p, Batch batch) {
        if (anchors.noise() == 0) {
            return p;
        }
        float[][] n = batch.predictionNoise(anchors.noise());
        float[][] out = new float[p.length][];
        for (int i = 0; i < p.length; i++) {
            out[i] = new float[p[i].length];
            for (int j = 0; j < p[i].length; j++) {
                out[i][j] = p[i][j] + n[i][j];
            }
        }
        return out;
    }

    /**
     * The decoder's cross-entropy of all predictions, run in {@link LengthBuckets} groups: each group's mean
     * loss and gradient weighted by its share of the target tokens, which is the whole batch's mean exactly.
     */
    private ImportedSonarDecoder.LossAndGradient crossEntropy(long[][] in, long[][] labels, float[][] p, boolean gradient) {
        int pad = decoder.padId();
        int[] lengths = new int[in.length];
        for (int i = 0; i < in.length; i++) {
            int n = in[i].length;
            while (n > 1 && in[i][n - 1] == pad) {
                n--;
            }
            lengths[i] = n;
        }
        List<int[]> groups = LengthBuckets.groups(lengths);
        if (groups.size() == 1) {
            return gradient ? decoder.crossEntropy(in, labels, p, anchors.entropy())
                    : decoder.crossEntropyLoss(in, labels, p, anchors.entropy());
        }
        ImportedSonarDecoder.LossAndGradient[] parts = new ImportedSonarDecoder.LossAndGradient[groups.size()];
        long targets = 0;
        for (int k = 0; k < parts.length; k++) {
            int[] rows = groups.get(k);
            int len = 0;
            for (int r : rows) {
                len = Math.max(len, lengths[r]);
            }
            long[][] gi = new long[rows.length][];
            long[][] gl = new long[rows.length][];
            float[][] gp = new float[rows.length][];
            for (int j = 0; j < rows.length; j++) {
                gi[j] = Arrays.copyOf(in[rows[j]], len);
                gl[j] = Arrays.copyOf(labels[rows[j]], len);
                gp[j] = p[rows[j]];
            }
            parts[k] = gradient ? decoder.crossEntropy(gi, gl, gp, anchors.entropy())
                    : decoder.crossEntropyLoss(gi, gl, gp, anchors.entropy());
            targets += parts[k].targets();
        }
        double loss = 0;
        float[][] grad = gradient ? new float[p.length][] : null;
        for (int k = 0; k < parts.length; k++) {
            double share = (double) parts[k].targets() / targets;
            loss += parts[k].loss() * share;
            if (gradient) {
                float[][] g = parts[k].gradient().castTo(DataType.FLOAT).toFloatMatrix();
                int[] rows = groups.get(k);
                for (int j = 0; j < rows.length; j++) {
                    float[] row = g[j];
                    for (int c = 0; c < row.length; c++) {
                        row[c] = (float) (row[c] * share);
                    }
                    grad[rows[j]] = row;
                }
            }
        }
        return new ImportedSonarDecoder.LossAndGradient(loss, targets, gradient ? Nd4j.createFromArray(grad) : null);
    }

    @Override
    public Value value(Batch batch) {
        INDArray out = lm.sameDiff().output(lm.feeds(batch.input()), ConceptLMGraph.OUTPUT).get(ConceptLMGraph.OUTPUT);
        int pad = decoder.padId();
        float[][] p = pick(out, batch.predictionRows());
        double ce = crossEntropy(batch.decoderInputs(pad), batch.labels(pad), p, false).loss();
        return new Value(ce + addAnchors(p, batch, null), batch.targetTokens());
    }

    @Override
    public Step step(Batch batch) {
        int[] rows = batch.predictionRows();
        int pad = decoder.padId();
        long[][] in = batch.decoderInputs(pad);
        long[][] labels = batch.labels(pad);
        int b = batch.documents().size();
        int t = batch.positions();
        int d = lm.config().sonarDim();
        ImportedSonarDecoder.LossAndGradient[] ce = new ImportedSonarDecoder.LossAndGradient[1];
        double[] anchor = new double[1];
        INDArray[] total = new INDArray[1];
        Map<String, INDArray> grads = onePass.gradients(lm.feeds(batch.input()), new long[] {b, t, d}, out -> {
            float[][] p = pick(out, rows);
            ce[0] = crossEntropy(in, labels, noised(p, batch), true);
            total[0] = anchors.any() ? ce[0].gradient().dup() : ce[0].gradient();
            anchor[0] = addAnchors(p, batch, total[0]);
            INDArray g = Nd4j.zeros(dtype, (long) b * t, d);
            INDArray pg = total[0].castTo(dtype);
            for (int i = 0; i < rows.length; i++) {
                g.putRow(rows[i], pg.getRow(i));
            }
            return g.reshape(b, t, d);
        }, lm.parameterNames());
        return new Step(ce[0].loss() + anchor[0], ce[0].targets(), grads, total[0]);
    }

    @Override
    public ConceptLMGraph lm() {
        return lm;
    }

    @Override
    public Objective objective() {
        return Objective.CE;
    }

    @Override
    public Anchors anchors() {
        return anchors;
    }

    @Override
    public DataType dtype() {
        return dtype;
    }
}
