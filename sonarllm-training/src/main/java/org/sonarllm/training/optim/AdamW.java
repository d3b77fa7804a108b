package org.sonarllm.training.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.sonarllm.InvalidInputException;

/**
 * AdamW (decoupled weight decay, as {@code torch.optim.AdamW}): {@code p -= lr * wd * p} then
 * {@code p -= lr * m_hat / (sqrt(v_hat) + eps)} with bias-corrected moments. Weight decay applies
 * only to parameters of rank 2 or more (not to biases and norm weights). The moment arrays and step
 * count are exposed for checkpoints.
 *
 * <pre>{@code
 * AdamW opt = new AdamW(0.9, 0.95, 1e-8, 0.1);
 * opt.step(params, grads, lr);
 * }</pre>
 *
 * <p>Not thread-safe.
 */
public final class AdamW {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Map<String, INDArray> m = new LinkedHashMap<>();
    private final Map<String, INDArray> v = new LinkedHashMap<>();
    private final Map<String, INDArray> scratch = new LinkedHashMap<>();
    private long steps;

    /**
     * @param beta1 first-moment decay
     * @param beta2 second-moment decay
     * @param eps denominator epsilon
     * @param weightDecay decoupled weight decay
     */
    public AdamW(double beta1, double beta2, double eps, double weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps > 0 && weightDecay >= 0)) {
            throw new InvalidInputException("expected 0 <= betas < 1, eps > 0, weight decay >= 0, found "
                    + beta1 + ", " + beta2 + ", " + eps + ", " + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /**
     * Updates {@code params} in place.
     *
     * @param params live parameter arrays by name
     * @param grads gradients by name (same shapes)
     * @param lr learning rate of this step
     */
    public void step(Map<String, INDArray> params, Map<String, INDArray> grads, double lr) {
        steps++;
        double bc1 = 1 - Math.pow(beta1, steps);
        double bc2 = 1 - Math.pow(beta2, steps);
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            INDArray p = e.getValue();
            INDArray g = grads.get(e.getKey());
            if (g == null) {
                throw new InvalidInputException("expected a gradient for " + e.getKey() + ", found none");
            }
            INDArray mi = m.computeIfAbsent(e.getKey(), k -> p.ulike().assign(0));
            INDArray vi = v.computeIfAbsent(e.getKey(), k -> p.ulike().assign(0));
            // in place, through one scratch array per parameter: no temporary is allocated per step
            INDArray t = scratch.computeIfAbsent(e.getKey(), k -> p.ulike());
            t.assign(g).muli(1 - beta1);
            mi.muli(beta1).addi(t);
            t.assign(g).muli(g).muli(1 - beta2);
            vi.muli(beta2).addi(t);
            if (weightDecay > 0 && p.rank() >= 2) {
                p.muli(1 - lr * weightDecay);
            }
            t.assign(vi).divi(bc2);
            Transforms.sqrt(t, false).addi(eps);
            t.rdivi(mi).muli(lr / bc1);
            p.subi(t);
        }
    }

    /** @return optimizer steps taken */
    public long steps() {
        return steps;
    }

    /** @return first moments by name (live) */
    public Map<String, INDArray> firstMoments() {
        return m;
    }

    /** @return second moments by name (live) */
    public Map<String, INDArray> secondMoments() {
        return v;
    }

    /**
     * Restores state from a checkpoint.
     *
     * @param steps steps taken
     * @param first first moments
     * @param second second moments
     */
    public void restore(long steps, Map<String, INDArray> first, Map<String, INDArray> second) {
        this.steps = steps;
        m.clear();
        v.clear();
        first.forEach((k, a) -> m.put(k, a.dup()));
        second.forEach((k, a) -> v.put(k, a.dup()));
    }
}
