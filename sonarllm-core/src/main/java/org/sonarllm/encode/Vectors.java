package org.sonarllm.encode;

import org.sonarllm.InvalidInputException;

/**
 * Arithmetic on sentence embeddings.
 *
 * <pre>{@code
 * double c = Vectors.cosine(encoder.encode(List.of("It rained."), Language.ENGLISH).get(0), predicted);
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class Vectors {
    private Vectors() {}

    /**
     * Cosine similarity, accumulated in double precision.
     *
     * @param a a vector
     * @param b a vector of the same length
     * @return the cosine, 0 when either vector is all zeros
     * @throws InvalidInputException if the lengths differ
     */
    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new InvalidInputException("expected vectors of equal length, found " + a.length + " and " + b.length);
        }
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        if (na == 0 || nb == 0) {
            return 0;
        }
        return dot / (Math.sqrt(na) * Math.sqrt(nb));
    }
}
