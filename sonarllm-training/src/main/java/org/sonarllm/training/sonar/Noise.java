package org.sonarllm.training.sonar;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.sonarllm.InvalidInputException;

/**
 * Denoising-auto-encoder input noise (the SONAR paper's monolingual objective, after BART/mBART):
 * token dropping, masking with {@code <mask>} and local shuffling (each piece moves by at most
 * {@code shuffleWindow - 1} places). The language token (first) and {@code </s>} (last) are kept in place.
 *
 * <pre>{@code
 * Noise n = new Noise(0.1, 0.1, 3, maskId);
 * int[] noised = n.apply(encoderIds, new Random(7));
 * }</pre>
 *
 * @param dropProbability probability of deleting each piece (at least one piece is always kept)
 * @param maskProbability probability of replacing each remaining piece by the mask id
 * @param shuffleWindow local shuffle window k (0 or 1 = no shuffle)
 * @param maskId the {@code <mask>} token id
 */
public record Noise(double dropProbability, double maskProbability, int shuffleWindow, int maskId) {
    /** Validates the settings. */
    public Noise {
        if (!(dropProbability >= 0 && dropProbability < 1 && maskProbability >= 0 && maskProbability <= 1
                && shuffleWindow >= 0 && maskId >= 0)) {
            throw new InvalidInputException("expected probabilities in [0,1), window >= 0 and mask id >= 0, found "
                    + dropProbability + ", " + maskProbability + ", " + shuffleWindow + ", " + maskId);
        }
    }

    /**
     * @param encoderIds {@code [lang] + pieces + [</s>]}
     * @param rnd random source
     * @return a noised copy with the same first and last id
     */
    public int[] apply(int[] encoderIds, Random rnd) {
        if (encoderIds.length < 3) {
            return encoderIds.clone();
        }
        List<Integer> kept = new ArrayList<>();
        for (int i = 1; i < encoderIds.length - 1; i++) {
            if (rnd.nextDouble() >= dropProbability) {
                kept.add(encoderIds[i]);
            }
        }
        if (kept.isEmpty()) {
            kept.add(encoderIds[1 + rnd.nextInt(encoderIds.length - 2)]);
        }
        int n = kept.size();
        int[] order = new int[n];
        if (shuffleWindow > 1) {
            double[] keys = new double[n];
            Integer[] idx = new Integer[n];
            for (int i = 0; i < n; i++) {
                keys[i] = i + rnd.nextDouble() * shuffleWindow;
                idx[i] = i;
            }
            java.util.Arrays.sort(idx, (a, b) -> Double.compare(keys[a], keys[b]));
            for (int i = 0; i < n; i++) {
                order[i] = idx[i];
            }
        } else {
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
        }
        int[] out = new int[n + 2];
        out[0] = encoderIds[0];
        out[n + 1] = encoderIds[encoderIds.length - 1];
        for (int i = 0; i < n; i++) {
            out[i + 1] = rnd.nextDouble() < maskProbability ? maskId : kept.get(order[i]);
        }
        return out;
    }
}
