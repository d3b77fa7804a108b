package org.sonarllm.training.optim;

import org.sonarllm.InvalidInputException;

/**
 * Learning rate with linear warmup then cosine decay: step s (0-based) gets
 * {@code peak * (s + 1) / warmup} while {@code s < warmup}, then
 * {@code min + (peak - min) * (1 + cos(pi * p)) / 2} with {@code p = (s - warmup) / (total - warmup)}
 * clamped to 1.
 *
 * <pre>{@code
 * CosineSchedule s = new CosineSchedule(3e-4, 3e-5, 100, 10_000);
 * double lr = s.at(step);
 * }</pre>
 *
 * @param peak learning rate after warmup
 * @param min final learning rate
 * @param warmup warmup steps
 * @param total total optimizer steps
 */
public record CosineSchedule(double peak, double min, long warmup, long total) {
    /** Validates. */
    public CosineSchedule {
        if (!(peak > 0) || min < 0 || min > peak || warmup < 0 || total <= 0) {
            throw new InvalidInputException("expected peak > 0, 0 <= min <= peak, warmup >= 0, total > 0, found "
                    + peak + ", " + min + ", " + warmup + ", " + total);
        }
    }

    /**
     * @param step 0-based optimizer step
     * @return its learning rate
     */
    public double at(long step) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        double p = Math.min(1.0, (step - warmup) / (double) Math.max(1, total - warmup));
        return min + (peak - min) * 0.5 * (1 + Math.cos(Math.PI * p));
    }
}
