package org.sonarllm.training.optim;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Global L2-norm clipping ({@code torch.nn.utils.clip_grad_norm_}): if the norm over all gradients
 * exceeds {@code max}, every gradient is scaled by {@code max / (norm + 1e-6)}.
 *
 * <pre>{@code
 * double norm = GradientClipping.clip(grads, 1.0);
 * }</pre>
 */
public final class GradientClipping {
    private GradientClipping() {}

    /**
     * @param grads gradients
     * @return their global L2 norm
     */
    public static double globalNorm(Map<String, INDArray> grads) {
        double sq = 0;
        for (INDArray g : grads.values()) {
            double n = g.norm2Number().doubleValue();
            sq += n * n;
        }
        return Math.sqrt(sq);
    }

    /**
     * @param grads gradients, scaled in place when clipped
     * @param max maximum norm ({@code <= 0} disables clipping)
     * @return the global L2 norm before clipping
     */
    public static double clip(Map<String, INDArray> grads, double max) {
        double norm = globalNorm(grads);
        if (max > 0 && norm > max) {
            double s = max / (norm + 1e-6);
            for (INDArray g : grads.values()) {
                g.muli(s);
            }
        }
        return norm;
    }
}
