package org.sonarllm.generate;

import java.util.SplittableRandom;
import org.sonarllm.InvalidInputException;

/**
 * Sampling in concept space, one level above the decoder's token sampling: each predicted vector
 * {@code z} is perturbed as {@code z + temperature * rms(z) * u}, where {@code rms(z) = sqrt(mean(z_i^2))}
 * and {@code u} is a random unit vector (a standard Gaussian vector divided by its norm, so every
 * direction is equally likely), and the perturbed vector is decoded. The noise has norm {@code
 * temperature * rms(z)}, i.e. {@code temperature / sqrt(d)} of {@code |z|}: at temperature 1 in
 * 1024 dimensions the vector moves by about 3% of its length. This is the scaling of the released
 * SONAR-LLM checkpoints' generation wrapper, which perturbs the concept LM's last hidden state before
 * its output projection; here the predicted SONAR vector itself is perturbed, which works for any
 * {@link org.sonarllm.predict.ConceptLM}.
 *
 * <p>With {@code candidates = n > 1} each sentence is decoded from {@code n} perturbed vectors at
 * once (sentence-level best-of-n) and the candidate whose decoding has the highest decoder score
 * ({@link org.sonarllm.decode.DecodedSentence#score()}: the length-normalised log-probability of the
 * text given its vector) is kept; ties go to the lower candidate number, and candidates that decode
 * to blank text are never chosen.
 *
 * <p>Reproducible: candidate {@code j} of sentence {@code k} draws from {@code new
 * SplittableRandom(seed + k * 0x9E3779B97F4A7C15L + j * 0xC2B2AE3D27D4EB4FL)} with Box-Muller on
 * {@link StrictMath}, so it does not depend on the batch a prompt runs in, the thread, or the JDK.
 *
 * <pre>{@code
 * GenerationOptions.builder().sentenceSampling(SentenceSampling.of(0.5, 42L)).build();        // one noisy candidate
 * GenerationOptions.builder().sentenceSampling(SentenceSampling.bestOf(4, 1.0, 42L)).build(); // best of 4
 * }</pre>
 *
 * @param temperature noise scale, 0 to {@value #MAX_TEMPERATURE}; 0 leaves the prediction unchanged
 * @param candidates perturbed vectors decoded per sentence, 1 to {@value #MAX_CANDIDATES}; more than 1
 *     needs a temperature above 0
 * @param seed the random seed
 */
public record SentenceSampling(double temperature, int candidates, long seed) {
    /** Largest accepted temperature (noise of 1000 rms units; far beyond any useful value). */
    public static final double MAX_TEMPERATURE = 1000;
    /** Largest accepted number of candidates per sentence. */
    public static final int MAX_CANDIDATES = 64;
    /** No sentence-level sampling. */
    public static final SentenceSampling OFF = new SentenceSampling(0, 1, 0);

    private static final long SENTENCE_STRIDE = 0x9E3779B97F4A7C15L;
    private static final long CANDIDATE_STRIDE = 0xC2B2AE3D27D4EB4FL;

    /** Validates the arguments. */
    public SentenceSampling {
        if (!(temperature >= 0 && temperature <= MAX_TEMPERATURE)) {
            throw new InvalidInputException("expected a sentence temperature in [0, " + (int) MAX_TEMPERATURE
                    + "], found " + temperature);
        }
        if (candidates < 1 || candidates > MAX_CANDIDATES) {
            throw new InvalidInputException("expected candidates per sentence in 1.." + MAX_CANDIDATES + ", found "
                    + candidates);
        }
        if (candidates > 1 && temperature == 0) {
            throw new InvalidInputException("best-of-" + candidates + " needs a sentence temperature above 0, found 0"
                    + " (the candidates would all be the prediction itself)");
        }
    }

    /** @param temperature noise scale @param seed random seed @return one perturbed candidate per sentence */
    public static SentenceSampling of(double temperature, long seed) {
        return new SentenceSampling(temperature, 1, seed);
    }

    /**
     * @param n candidates per sentence
     * @param temperature noise scale, above 0
     * @param seed random seed
     * @return best-of-n sampling
     */
    public static SentenceSampling bestOf(int n, double temperature, long seed) {
        return new SentenceSampling(temperature, n, seed);
    }

    /** @return whether predictions are perturbed at all */
    public boolean enabled() {
        return temperature > 0;
    }

    /**
     * @param predicted the concept LM's prediction
     * @param sentence 0-based index of the generated sentence
     * @param candidate 0-based candidate number
     * @return the perturbed vector (a copy of {@code predicted} at temperature 0)
     */
    public float[] sample(float[] predicted, int sentence, int candidate) {
        float[] out = predicted.clone();
        if (temperature == 0) {
            return out;
        }
        int d = predicted.length;
        double sumSq = 0;
        for (float f : predicted) {
            sumSq += (double) f * f;
        }
        double rms = Math.sqrt(sumSq / d);
        SplittableRandom rng = new SplittableRandom(seed + sentence * SENTENCE_STRIDE + candidate * CANDIDATE_STRIDE);
        double[] g = new double[d];
        double norm = 0;
        for (int i = 0; i < d; i += 2) {
            // Box-Muller: two independent standard normals from two uniforms in (0, 1]
            double u1 = 1.0 - rng.nextDouble();
            double u2 = rng.nextDouble();
            double r = StrictMath.sqrt(-2 * StrictMath.log(u1));
            g[i] = r * StrictMath.cos(2 * Math.PI * u2);
            if (i + 1 < d) {
                g[i + 1] = r * StrictMath.sin(2 * Math.PI * u2);
            }
        }
        for (double x : g) {
            norm += x * x;
        }
        norm = Math.sqrt(norm);
        double scale = norm == 0 ? 0 : temperature * rms / norm;
        for (int i = 0; i < d; i++) {
            out[i] = (float) (predicted[i] + scale * g[i]);
        }
        return out;
    }
}
