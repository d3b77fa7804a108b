package org.sonarllm.training.eval;

import java.util.List;
import org.sonarllm.InvalidInputException;
import org.sonarllm.lang.Language;

/**
 * What the frozen decoder makes of a concept LM's predictions, token by token: the teacher-forced cross-entropy
 * of the true next sentence (the CE objective's own quantity, nats per label token) and the entropy of the
 * decoder's next-token distribution along it, decoded from four vectors per {@link NextSentenceEvaluator.Pair}:
 * <ul>
 *   <li>the prediction;</li>
 *   <li>the true next vector (the oracle: how sure and how right the decoder is on a real sentence vector);</li>
 *   <li>the true next vector of the evaluation nearest to the prediction by cosine (the prediction moved onto the
 *   manifold of real sentence vectors);</li>
 *   <li>the true next vector of the pair half the evaluation away (a real vector of another sentence).</li>
 * </ul>
 * A prediction with a low cross-entropy but a high entropy, far from every real vector, hedges: its token
 * distribution spreads over many possible next sentences, which lowers the expected cross-entropy when the next
 * sentence is uncertain, and decodes to no sentence in particular.
 *
 * <pre>{@code
 * DecoderConfidence.Report r = DecoderConfidence.of(pairs, (vectors, sentence, lang) -> new DecoderConfidence.Forced(
 *         llm.onnxDecoder().logits(vectors, Collections.nCopies(vectors.size(), tok.decoderInput(sentence, lang))),
 *         tok.decoderTarget(sentence, lang)), Language.ENGLISH);
 * }</pre>
 */
public final class DecoderConfidence {
    private DecoderConfidence() {}

    /** Teacher forcing of one sentence from several vectors. */
    @FunctionalInterface
    public interface TeacherForcing {
        /**
         * @param vectors vectors to decode from
         * @param sentence the sentence
         * @param language its language
         * @return the decoder's logits for every vector and the sentence's labels
         */
        Forced force(List<float[]> vectors, String sentence, Language language);
    }

    /**
     * Teacher-forced logits of one sentence.
     *
     * @param logits {@code [vectors][positions][vocab]}
     * @param labels the label id at every position
     */
    public record Forced(float[][][] logits, int[] labels) {}

    /**
     * Means over all label tokens of all pairs.
     *
     * @param pairs pairs scored
     * @param tokens label tokens scored
     * @param predictionCe cross-entropy of the true next sentence decoded from the prediction (nats per token)
     * @param predictionEntropy entropy of the decoder's distribution at the prediction (nats per token)
     * @param trueCe cross-entropy from the true next vector
     * @param trueEntropy entropy at the true next vector
     * @param nearestCe cross-entropy from the real vector nearest to the prediction
     * @param nearestEntropy entropy at that vector
     * @param otherCe cross-entropy from another sentence's true vector
     * @param otherEntropy entropy at that vector
     */
    public record Report(int pairs, long tokens, double predictionCe, double predictionEntropy, double trueCe,
            double trueEntropy, double nearestCe, double nearestEntropy, double otherCe, double otherEntropy) {}

    /**
     * @param pairs the pairs of a {@link NextSentenceEvaluator} run (at least one)
     * @param forcing the decoder's teacher forcing
     * @param language the sentences' language
     * @return the report
     * @throws InvalidInputException if there is no pair or forcing gives logits of another shape than its labels
     */
    public static Report of(List<NextSentenceEvaluator.Pair> pairs, TeacherForcing forcing, Language language) {
        int n = pairs.size();
        if (n == 0) {
            throw new InvalidInputException("expected at least one pair, found none");
        }
        List<float[]> targets = pairs.stream().map(NextSentenceEvaluator.Pair::target).toList();
        double[] sums = new double[8];
        long tokens = 0;
        for (int i = 0; i < n; i++) {
            NextSentenceEvaluator.Pair p = pairs.get(i);
            List<float[]> vectors = List.of(p.prediction(), p.target(),
                    targets.get(NextSentenceEvaluator.nearest(targets, p.prediction())), targets.get((i + n / 2) % n));
            Forced f = forcing.force(vectors, p.reference(), language);
            if (f.logits().length != vectors.size()) {
                throw new InvalidInputException("expected logits for " + vectors.size() + " vectors, found " + f.logits().length);
            }
            for (int v = 0; v < vectors.size(); v++) {
                double[] s = score(f.logits()[v], f.labels());
                sums[2 * v] += s[0];
                sums[2 * v + 1] += s[1];
            }
            tokens += f.labels().length;
        }
        return new Report(n, tokens, sums[0] / tokens, sums[1] / tokens, sums[2] / tokens, sums[3] / tokens,
                sums[4] / tokens, sums[5] / tokens, sums[6] / tokens, sums[7] / tokens);
    }

    /**
     * @param logits {@code [positions][vocab]}
     * @param labels one label id per position
     * @return {sum of -log p(label), sum of the distributions' entropies} over the positions
     * @throws InvalidInputException if the shapes disagree or a label is out of the vocabulary
     */
    static double[] score(float[][] logits, int[] labels) {
        if (logits.length != labels.length) {
            throw new InvalidInputException("expected logits for " + labels.length + " positions, found " + logits.length);
        }
        double nll = 0;
        double entropy = 0;
        for (int t = 0; t < labels.length; t++) {
            float[] l = logits[t];
            if (labels[t] < 0 || labels[t] >= l.length) {
                throw new InvalidInputException("expected labels in [0, " + l.length + "), found " + labels[t]);
            }
            double max = Double.NEGATIVE_INFINITY;
            for (float x : l) {
                max = Math.max(max, x);
            }
            double z = 0;
            double weighted = 0;
            for (float x : l) {
                double e = Math.exp(x - max);
                z += e;
                weighted += e * x;
            }
            double logZ = max + Math.log(z);
            nll += logZ - l[labels[t]];
            entropy += logZ - weighted / z; // H = log Z - E[logit]
        }
        return new double[] {nll, entropy};
    }
}
