package org.sonarllm.training.model;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.SonarLlmException;
import org.sonarllm.training.internal.Gradients;

/**
 * Back-propagates a gradient computed <em>outside</em> a SameDiff graph through it in one pass: the graph's
 * loss is the surrogate {@code sum(y * G)} for an intermediate value {@code y}, with {@code G} a constant.
 * A listener computes {@code G = dLoss/dy} from {@code y} (the caller's function) the moment the forward
 * pass produces {@code y}, before any op that reads {@code G} runs, so one gradient call
 * ({@link Gradients}, SameDiff's with its array cache on) gives the true gradients: every op runs forward once. (SameDiff
 * M2.1 cannot back-propagate from stored activations; without this, the values {@code y} need a forward
 * pass of their own before the gradient call repeats it.) The function may itself run another graph (the
 * concept LM's listener runs the frozen decoder's one-pass gradient), which chains the rule across graphs.
 *
 * <pre>{@code
 * OnePassGradient head = new OnePassGradient(sd, "hidden", "hidden_grad");
 * Map<String, INDArray> g = head.gradients(feeds, new long[] {rows, d}, h -> dLossDh(h), List.of("embedding"));
 * }</pre>
 *
 * <p>Not thread-safe (the graph is not).
 */
final class OnePassGradient {
    private final SameDiff sd;
    private final String value;
    private final String valueOp;
    private final SDVariable grad;
    private UnaryOperator<INDArray> armed;
    private boolean fired;

    /**
     * Adds the constant {@code gradName} and the loss {@code sum(value * gradName)} to {@code sd} and sets it as
     * the graph's only loss.
     *
     * @param sd the graph
     * @param value the intermediate variable y (produced by an op)
     * @param gradName the name of the constant G
     */
    OnePassGradient(SameDiff sd, String value, String gradName) {
        this.sd = sd;
        this.value = value;
        SDVariable y = sd.getVariable(value);
        this.valueOp = sd.getVariableOutputOp(value).getOwnName();
        this.grad = sd.constant(gradName, Nd4j.zeros(y.dataType(), 1));
        String loss = gradName + "_surrogate";
        sd.sum(y.mul(grad)).rename(loss);
        sd.setLossVariables(loss);
        sd.addListeners(new Fill());
    }

    /** Fills G from y when the op producing y has run (only while a gradient call is armed). */
    private final class Fill extends BaseListener {
        @Override
        public boolean isActive(Operation operation) {
            return true;
        }

        @Override
        public void opExecution(SameDiff s, At at, MultiDataSet batch, SameDiffOp op, OpContext ctx, INDArray[] outputs) {
            if (armed == null || fired || !op.getName().equals(valueOp)) {
                return;
            }
            INDArray y = outputs[op.getOutputsOfOp().indexOf(value)];
            INDArray g = armed.apply(y);
            INDArray target = grad.getArr();
            if (!Arrays.equals(g.shape(), target.shape())) {
                throw new SonarLlmException("expected dLoss/d" + value + " of shape " + Arrays.toString(target.shape())
                        + ", found " + Arrays.toString(g.shape()));
            }
            target.assign(g);
            fired = true;
        }
    }

    /**
     * One forward and one backward pass.
     *
     * @param feeds placeholder values
     * @param valueShape the shape y will have (G is allocated with it before the pass)
     * @param gradientOf computes dLoss/dy from y, during the pass
     * @param wrt the variables whose gradients are wanted
     * @return their gradients
     */
    Map<String, INDArray> gradients(Map<String, INDArray> feeds, long[] valueShape, UnaryOperator<INDArray> gradientOf,
            Collection<String> wrt) {
        INDArray g = grad.getArr();
        if (!Arrays.equals(g.shape(), valueShape)) {
            grad.setArray(Nd4j.zeros(g.dataType(), valueShape));
        }
        armed = gradientOf;
        fired = false;
        try {
            Map<String, INDArray> out = Gradients.of(sd, feeds, List.of(), wrt).gradients();
            if (!fired) {
                throw new SonarLlmException("expected " + value + " to be computed during the gradient pass, found it was not");
            }
            return out;
        } finally {
            armed = null;
        }
    }
}
