package org.sonarllm.training.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.autodiff.samediff.internal.Variable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.ops.impl.reduce.MmulBp;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.ThresholdReluBp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.bp.AddBpOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.bp.MulBpOp;

/**
 * Rewrites a SameDiff gradient function into a cheaper one that computes the same gradients of everything but
 * frozen weights. Two rewrites, each measured on the d-256 default decoder (1,536 tokens):
 *
 * <p><b>Frozen weights' gradients removed.</b> SameDiff M2.1 differentiates a product
 * {@code x op(W)}, a sum {@code x + b} and an elementwise product {@code x * g} with one backward op each
 * ({@code matmul_bp}, {@code add_bp}, {@code multiply_bp}) that computes the gradients of <em>both</em>
 * operands, also when one is a constant or a weight placeholder and its gradient is never read. For the frozen
 * decoder of training that is a third of its layers' products and every bias and LayerNorm gain's gradient: a
 * sum over all token rows per vector, which ND4J computes slowly (measured on the d-256 decoder, 1,536 tokens:
 * 11-15 ms per LayerNorm gain, 14 ms per FFN bias, against 0.5 ms for the product {@code dL/dy * g}).
 * {@link #apply} rewrites each such op, keeping the gradient of the other operand only:
 * <ul>
 *   <li>{@code matmul_bp} of {@code y = x op(W)}: the single product {@code dL/dx = dL/dy op(W)^T};
 *   <li>{@code multiply_bp} of {@code y = x * g}: the elementwise product {@code dL/dx = dL/dy * g};
 *   <li>{@code add_bp} of {@code y = x + b}: nothing; the ops that read {@code dL/dx} read {@code dL/dy}.
 * </ul>
 * The rewritten ops keep their names and output variables; the weight-gradient variables are removed. Only ops
 * whose other operand already has the result's shape are rewritten (else its gradient is a sum over broadcast
 * dimensions), and only where that gradient is an intermediate value (not the gradient of a variable or
 * placeholder someone could ask for). The ops also stop holding the forward activation {@code x}, which is
 * then released as soon as its forward consumers ran. (Swapping the forward op for one with another derivative
 * does not work: SameDiff builds the gradient function from serialized copies of the ops.)
 *
 * <p><b>ReLU's derivative in vectorized ops.</b> {@code thresholdedrelu_bp} applies a C++ lambda per element
 * (4-11 ms per FFN layer of 1,536 x 1,024); {@code dL/dx = dL/dy * sign(relu(x))} is two vectorized ops on the
 * ReLU's own output, exact (the derivative is 1 where the output is positive, else 0, as
 * {@code thresholdedrelu_bp}'s with cutoff 0).
 *
 * <pre>{@code
 * int rewritten = BackwardRewrites.apply(sd, feeds, name -> sd.getVariable(name).isConstant());
 * Map<String, INDArray> g = Gradients.of(sd, feeds, List.of(), List.of("x")).gradients();
 * }</pre>
 */
final class BackwardRewrites {
    private BackwardRewrites() {}

    /**
     * Creates the graph's gradient function if it has none and rewrites it. The shapes of the activations that
     * meet a frozen weight in a sum or elementwise product come from one forward pass on {@code feeds}
     * (SameDiff does not infer them when the graph is built); only their non-batch dimensions matter.
     *
     * @param sd the graph, its loss set
     * @param feeds placeholder values of one batch
     * @param frozen whether a variable is a frozen weight (a constant, or a placeholder holding a weight)
     * @return the number of backward ops rewritten
     */
    static int apply(SameDiff sd, Map<String, INDArray> feeds, Predicate<String> frozen) {
        if (!sd.hasGradientFunction()) {
            sd.createGradFunction();
        }
        SameDiff gradFn = sd.getFunction("grad");
        List<SameDiffOp> candidates = new ArrayList<>();
        Set<String> activations = new HashSet<>();
        for (SameDiffOp op : gradFn.getOps().values()) {
            List<String> in = op.getInputsToOp();
            if ((op.getOp() instanceof AddBpOp || op.getOp() instanceof MulBpOp) && in.size() == 3
                    && frozen.test(in.get(0)) != frozen.test(in.get(1))) {
                activations.add(in.get(frozen.test(in.get(0)) ? 1 : 0));
            }
            candidates.add(op);
        }
        Map<String, long[]> shapes = new HashMap<>();
        if (!activations.isEmpty()) {
            sd.output(feeds, new ArrayList<>(activations)).forEach((name, a) -> shapes.put(name, a.shape()));
        }
        int rewritten = 0;
        for (SameDiffOp op : candidates) {
            if (op.getOp() instanceof ThresholdReluBp) {
                rewritten += relu(gradFn, op) ? 1 : 0;
                continue;
            }
            List<String> in = op.getInputsToOp(); // a, b, dL/dy
            List<String> out = op.getOutputsOfOp(); // dL/da, dL/db
            boolean binary = op.getOp() instanceof MmulBp || op.getOp() instanceof MulBpOp || op.getOp() instanceof AddBpOp;
            if (!binary || in.size() != 3 || out.size() != 2) {
                continue;
            }
            int w = frozen.test(in.get(1)) ? 1 : frozen.test(in.get(0)) ? 0 : -1; // the frozen operand
            if (w < 0 || frozen.test(in.get(1 - w)) || readers(gradFn, out.get(w)) > 0) {
                continue;
            }
            String x = in.get(1 - w);
            String dy = in.get(2);
            String dx = out.get(1 - w);
            if (op.getOp() instanceof MmulBp bp) {
                long[] t = bp.iArgs(); // transposeA, transposeB, transposeResult
                if (w != 1 || t.length != 3 || t[0] != 0 || t[2] != 0) {
                    continue;
                }
                op.setOp(new InputGradient(gradFn, op.getName(), t[1] != 0, gradFn.getVariable(dx)));
                rewire(gradFn, op, List.of(dy, in.get(w)), x, out.get(w));
            } else if (!keepsShape(shapes.get(x), gradFn.getVariable(in.get(w)).getShape())) {
                continue;
            } else if (op.getOp() instanceof MulBpOp) {
                op.setOp(new Scaled(gradFn, op.getName(), gradFn.getVariable(dx)));
                rewire(gradFn, op, List.of(dy, in.get(w)), x, out.get(w));
            } else if (!passThrough(gradFn, op, x, dy, dx, out.get(w))) {
                continue;
            }
            rewritten++;
        }
        return rewritten;
    }

    /** The op now reads {@code inputs} and writes its first output only; {@code x} and {@code weightGrad} are dropped. */
    private static void rewire(SameDiff gradFn, SameDiffOp op, List<String> inputs, String x, String weightGrad) {
        Map<String, Variable> vars = gradFn.getVariables();
        List<String> outputs = new ArrayList<>(op.getOutputsOfOp());
        outputs.remove(weightGrad);
        if (!inputs.contains(x)) {
            vars.get(x).getInputsForOp().remove(op.getName());
        }
        op.setInputsToOp(new ArrayList<>(inputs));
        op.setOutputsOfOp(outputs);
        vars.remove(weightGrad);
    }

    /**
     * {@code add_bp} with a frozen operand: removed, its readers of {@code dL/dx} read {@code dL/dy} instead.
     *
     * @return false (nothing changed) if {@code dL/dx} is not an intermediate value with readers
     */
    private static boolean passThrough(SameDiff gradFn, SameDiffOp op, String x, String dy, String dx, String weightGrad) {
        if (!intermediate(gradFn, dx, x)) {
            return false;
        }
        gradFn.getVariables().remove(weightGrad);
        replace(gradFn, op, dx, dy);
        return true;
    }

    /** {@code thresholdedrelu_bp(x, dL/dy)} with cutoff 0 of {@code y = relu(x)}: {@code dL/dx = dL/dy * sign(y)}. */
    private static boolean relu(SameDiff gradFn, SameDiffOp op) {
        List<String> in = op.getInputsToOp(); // x, dL/dy
        double[] cutoff = op.getOp() instanceof ThresholdReluBp bp ? bp.tArgs() : new double[0];
        if (in.size() != 2 || op.getOutputsOfOp().size() != 1 || cutoff.length != 1 || cutoff[0] != 0) {
            return false;
        }
        String x = in.get(0);
        String dx = op.getOutputsOfOp().get(0);
        List<String> relus = gradFn.getVariables().get(x).getInputsForOp().stream()
                .map(gradFn.getOps()::get).filter(f -> f.getOp() instanceof RectifiedLinear r
                        && r.scalar() != null && r.scalar().getDouble(0) == 0)
                .map(f -> f.getOutputsOfOp().get(0)).toList();
        if (relus.size() != 1 || !intermediate(gradFn, dx, x)) {
            return false;
        }
        SDVariable g = gradFn.getVariable(in.get(1)).mul(gradFn.math.sign(gradFn.getVariable(relus.get(0))));
        replace(gradFn, op, dx, g.name());
        return true;
    }

    /** Whether {@code grad}, the gradient of {@code of}, is an intermediate value that ops read and no one asks for. */
    private static boolean intermediate(SameDiff gradFn, String grad, String of) {
        return readers(gradFn, grad) > 0 && gradFn.getVariables().get(of).getVariable().getVariableType() == VariableType.ARRAY
                && !gradFn.getLossVariables().contains(grad);
    }

    /** Removes {@code op} and its output {@code from}; the ops that read {@code from} read {@code to} instead. */
    private static void replace(SameDiff gradFn, SameDiffOp op, String from, String to) {
        Map<String, Variable> vars = gradFn.getVariables();
        if (vars.get(to).getInputsForOp() == null) {
            vars.get(to).setInputsForOp(new ArrayList<>());
        }
        for (String reader : new ArrayList<>(vars.get(from).getInputsForOp())) {
            SameDiffOp r = gradFn.getOps().get(reader);
            List<String> ins = new ArrayList<>(r.getInputsToOp());
            Collections.replaceAll(ins, from, to);
            r.setInputsToOp(ins);
            if (!vars.get(to).getInputsForOp().contains(reader)) {
                vars.get(to).getInputsForOp().add(reader);
            }
        }
        for (String v : op.getInputsToOp()) {
            vars.get(v).getInputsForOp().remove(op.getName());
        }
        vars.remove(from);
        gradFn.getOps().remove(op.getName());
    }

    private static int readers(SameDiff gradFn, String variable) {
        Variable v = gradFn.getVariables().get(variable);
        return v == null || v.getInputsForOp() == null ? 0 : v.getInputsForOp().size();
    }

    /**
     * Whether broadcasting {@code x} with {@code w} gives {@code x}'s shape: every dimension of {@code w}
     * (aligned right) is 1 or equal to {@code x}'s.
     */
    static boolean keepsShape(long[] x, long[] w) {
        if (x == null || w == null || w.length > x.length) {
            return false;
        }
        for (int i = 1; i <= w.length; i++) {
            long xd = x[x.length - i];
            long wd = w[w.length - i];
            if (wd != 1 && (xd < 0 || xd != wd)) {
                return false;
            }
        }
        return true;
    }

    /** {@code dL/dx = dL/dy W} when the product used {@code W^T} (transposeB), else {@code dL/dy W^T}. */
    private static final class InputGradient extends Mmul {
        InputGradient(SameDiff sd, String name, boolean productTransposedW, SDVariable output) {
            this.sameDiff = sd;
            this.ownName = name;
            addIArgument(0, productTransposedW ? 0 : 1, 0);
            addTArgument(1.0, 0.0);
            configureFromArguments();
            this.outputVariables = new SDVariable[] {output};
        }

        @Override
        public List<SDVariable> doDiff(List<SDVariable> gradients) {
            throw new UnsupportedOperationException("a frozen weight's input gradient is not differentiated again");
        }
    }

    /** {@code dL/dx = dL/dy * g} (broadcast as in the forward product). */
    private static final class Scaled extends MulOp {
        Scaled(SameDiff sd, String name, SDVariable output) {
            this.sameDiff = sd;
            this.ownName = name;
            this.outputVariables = new SDVariable[] {output};
        }

        @Override
        public List<SDVariable> doDiff(List<SDVariable> gradients) {
            throw new UnsupportedOperationException("a frozen weight's input gradient is not differentiated again");
        }
    }
}
