package org.sonarllm.training.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.MmulBp;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.ThresholdReluBp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.bp.AddBpOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.bp.MulBpOp;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.onnx.graph.TeacherForcingDecoderGraph;
import org.sonarllm.testing.TinyA;
import org.sonarllm.training.internal.Gradients;

/** Frozen weights' gradients removed: the same values, dL/dx by hand, and no weight gradient computed. */
class BackwardRewritesTest {
    private static final double[][] X = {{0.5, -1.0, 2.0}, {1.5, 0.25, -0.75}};
    private static final double[][] G = {{1, -2, 0.5, 3}, {-1, 0.25, 2, -0.5}};
    private static final double[] B = {0.5, -1, 2, 0.125};
    private static final double[] GAIN = {2, -0.5, 1.5, 3};

    /**
     * y = (x op(W) + b) * g, loss = sum(y * G), W [out, in] with op = transpose (Gemm(transB=1)) or W stored
     * [in, out] without: dL/dx[i][k] = sum_o G[i][o] g[o] W^T[k][o], by hand.
     */
    @Test
    void inputGradientOfALinearLayerWithBiasAndGainByHand() {
        for (boolean transB : new boolean[] {true, false}) {
            double[][] w = transB ? new double[][] {{1, 2, 3}, {-1, 0.5, 0}, {0, -2, 1}, {0.25, 1, -1}}
                    : new double[][] {{1, -1, 0, 0.25}, {2, 0.5, -2, 1}, {3, 0, 1, -1}}; // the same W^T
            SameDiff sd = SameDiff.create();
            SDVariable x = sd.var("x", Nd4j.createFromArray(X));
            SDVariable y = sd.mmul("xw", x, sd.constant("w", Nd4j.createFromArray(w)), false, transB, false)
                    .add("xwb", sd.constant("b", Nd4j.createFromArray(B))).mul("y", sd.constant("g", Nd4j.createFromArray(GAIN)));
            y.mul(sd.constant("G", Nd4j.createFromArray(G))).sum("loss").markAsLoss();
            sd.createGradFunction();
            SameDiff grad = sd.getFunction("grad");
            assertEquals(List.of(1L, 1L, 2L), counts(grad)); // the last multiply_bp: the loss's y * G
            assertEquals(3, BackwardRewrites.apply(sd, Map.of(), Set.of("w", "b", "g")::contains));
            assertEquals(List.of(0L, 0L, 1L), counts(grad), "matmul_bp, add_bp, multiply_bp");
            for (String dw : List.of("w-grad", "b-grad", "g-grad")) {
                assertFalse(grad.hasVariable(dw), dw + " removed");
            }

            Gradients r = Gradients.of(sd, Map.of(), List.of("y"), List.of("x"));
            for (int i = 0; i < 2; i++) {
                for (int o = 0; o < 4; o++) {
                    double want = B[o];
                    for (int k = 0; k < 3; k++) {
                        want += X[i][k] * (transB ? w[o][k] : w[k][o]);
                    }
                    assertEquals(want * GAIN[o], r.outputs().get("y").getDouble(i, o), 1e-12, "y " + i + "," + o);
                }
                for (int k = 0; k < 3; k++) {
                    double want = 0;
                    for (int o = 0; o < 4; o++) {
                        want += G[i][o] * GAIN[o] * (transB ? w[o][k] : w[k][o]);
                    }
                    assertEquals(want, r.gradients().get("x").getDouble(i, k), 1e-12, "dx " + i + "," + k);
                }
            }
        }
    }

    /** dL/dx of y = relu(x): G where x > 0, else 0 (also at x = 0, as thresholdedrelu_bp), by hand. */
    @Test
    void reluDerivativeIsGWherePositiveByHand() {
        double[][] x = {{0.5, -1.0, 0.0, 2.0}, {-0.25, 0.0, 1.5, -3.0}};
        SameDiff sd = SameDiff.create();
        SDVariable xv = sd.var("x", Nd4j.createFromArray(x));
        sd.nn.relu("y", xv.mul("x2", 2.0), 0).mul(sd.constant("G", Nd4j.createFromArray(G))).sum("loss").markAsLoss();
        assertEquals(1, BackwardRewrites.apply(sd, Map.of(), n -> false));
        assertEquals(0, Arrays.stream(sd.getFunction("grad").ops()).filter(ThresholdReluBp.class::isInstance).count());
        INDArray dx = Gradients.of(sd, Map.of(), List.of(), List.of("x")).gradients().get("x");
        for (int i = 0; i < 2; i++) {
            for (int k = 0; k < 4; k++) {
                assertEquals(x[i][k] > 0 ? 2 * G[i][k] : 0, dx.getDouble(i, k), 1e-12, "dx " + i + "," + k);
            }
        }
    }

    /** Left alone: both operands trained, transposed left operands or results, and a broadcast activation. */
    @Test
    void opsWhoseOtherGradientIsNotAPlainCopyAreLeftAlone() {
        SameDiff sd = SameDiff.create();
        SDVariable a = sd.var("a", Nd4j.rand(DataType.DOUBLE, 2, 3));
        SDVariable b = sd.var("b", Nd4j.rand(DataType.DOUBLE, 3, 2));
        SDVariable row = sd.var("row", Nd4j.rand(DataType.DOUBLE, 1, 3));
        SDVariable w = sd.constant("w", Nd4j.rand(DataType.DOUBLE, 3, 2));
        SDVariable full = sd.constant("full", Nd4j.rand(DataType.DOUBLE, 2, 3));
        sd.mmul(a, b).add(sd.transpose(sd.mmul(a, w, false, false, true))).add(sd.mmul(w, a, true, true, false))
                .sum("s1").add(row.add(full).sum()).add(row.mul(full).sum()).rename("loss");
        sd.setLossVariables("loss");
        sd.createGradFunction();
        SameDiff grad = sd.getFunction("grad");
        List<Long> before = counts(grad);
        assertEquals(0, BackwardRewrites.apply(sd, Map.of(), sd::isConstant));
        assertEquals(before, counts(grad));
    }

    @Test
    void keepsShapeOnlyWhenTheWeightBroadcastsIntoKnownDimensions() {
        assertTrue(BackwardRewrites.keepsShape(new long[] {8, 256}, new long[] {256}));
        assertTrue(BackwardRewrites.keepsShape(new long[] {8, 4, 256}, new long[] {1, 256}));
        assertFalse(BackwardRewrites.keepsShape(new long[] {8, 1}, new long[] {256}));
        assertFalse(BackwardRewrites.keepsShape(new long[] {256}, new long[] {4, 256}));
        assertFalse(BackwardRewrites.keepsShape(null, new long[] {256}));
    }

    /**
     * The imported tiny-a decoder: after pruning no matmul_bp, add_bp or multiply_bp has a weight among its
     * inputs (the products of two activations in attention keep theirs), and the gradient with respect to
     * the sentence vectors equals the unpruned gradient function's on the same batch.
     */
    @Test
    void importedDecoderComputesNoWeightGradientAndTheSameVectorGradient() {
        ImportedSonarDecoder dec = ImportedFromWeights.load(TinyA.dir().resolve("decoder"));
        long[][] ids = {{3, 5, 7, 9, 11}, {3, 6, 8, 1, 1}};
        long[][] labels = {{5, 7, 9, 11, 2}, {6, 8, 2, 1, 1}};
        float[][] emb = new float[2][dec.dimension()];
        for (int j = 0; j < emb[0].length; j++) {
            emb[0][j] = (float) Math.sin(j);
            emb[1][j] = (float) Math.cos(0.5 * j);
        }
        INDArray pruned = dec.crossEntropy(ids, labels, emb).gradient();
        SameDiff grad = dec.graph().getFunction("grad");
        int bp = 0;
        for (DifferentialFunction f : grad.ops()) {
            if (f instanceof MmulBp || f instanceof AddBpOp || f instanceof MulBpOp) {
                bp++;
                // the surrogate loss sum(h * dL/dh) reads its constant dL/dh, which is not a weight
                assertTrue(Arrays.stream(f.args()).noneMatch(v -> v.isPlaceHolder()
                        || v.isConstant() && !v.name().equals(ImportedSonarDecoder.HIDDEN_GRAD)),
                        f.opName() + " on a weight: " + Arrays.toString(f.args()));
            }
        }
        assertTrue(bp > 0, "the attention products and the residual sums keep theirs");
        assertEquals(0, Arrays.stream(grad.ops()).filter(ThresholdReluBp.class::isInstance).count(), "ReLU derivatives");

        // the same gradient from SameDiff's own, unpruned gradient function of a second import
        ImportedSonarDecoder plain = ImportedFromWeights.load(TinyA.dir().resolve("decoder"));
        VocabularyHead.Result[] head = new VocabularyHead.Result[1];
        int[] flat = Arrays.stream(labels).flatMapToLong(Arrays::stream).mapToInt(l -> l == plain.padId() ? -1 : (int) l)
                .toArray();
        INDArray h = plain.hidden(ids, emb);
        head[0] = plain.head().lossAndGradients(h, flat, false);
        SameDiff sd = plain.graph();
        Map<String, INDArray> f = new HashMap<>(plain.feeds(ids, emb));
        SDVariable ev = sd.getVariable(TeacherForcingDecoderGraph.EMBEDDING);
        ev.setArray(f.remove(TeacherForcingDecoderGraph.EMBEDDING));
        sd.convertToVariables(List.of(ev));
        DifferentialFunction projection = sd.getVariableOutputOp(
                sd.getVariableOutputOp(TeacherForcingDecoderGraph.LOGITS).args()[0].name()); // logits = reshape(h W^T)
        projection.args()[0].mul(sd.constant("dh", head[0].hiddenGradient())).sum("surrogate").markAsLoss();
        INDArray want = sd.calculateGradients(f, TeacherForcingDecoderGraph.EMBEDDING).get(TeacherForcingDecoderGraph.EMBEDDING);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < emb[0].length; j++) {
                assertEquals(want.getDouble(i, j), pruned.getDouble(i, j), 1e-6 * Math.max(1, Math.abs(want.getDouble(i, j))),
                        "dL/de " + i + "," + j);
            }
        }
    }

    private static List<Long> counts(SameDiff sd) {
        return List.of(MmulBp.class, AddBpOp.class, MulBpOp.class).stream()
                .map(c -> Arrays.stream(sd.ops()).filter(c::isInstance).count()).toList();
    }
}
