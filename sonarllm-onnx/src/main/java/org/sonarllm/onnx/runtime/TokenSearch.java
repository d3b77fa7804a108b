package org.sonarllm.onnx.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.sonarllm.NonFiniteOutputException;
import org.sonarllm.decode.DecodingStrategy;
import org.sonarllm.decode.Lexicon;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * Greedy and sampling search, one hypothesis per sentence, all sentences stepped together. A row
 * stops after {@code </s>} or after {@code maxTokens} tokens (no forced {@code </s>}). The score is
 * (log p(lang) + sum of the generated tokens' log-probabilities) / (tokens + 1), the model's own
 * untempered log-probabilities (log-softmax computed in the graph), as beam search normalises. With a
 * {@link WordFilter}, greedy takes the most probable allowed token and sampling draws among the allowed ones.
 */
final class TokenSearch {
    private TokenSearch() {}

    /** One decoded row. */
    record Result(int[] ids, double score) {}

    static List<Result> run(Stepper stepper, int sentences, int lang, int maxTokens, DecodingStrategy strategy) {
        return run(stepper, sentences, lang, maxTokens, strategy, null);
    }

    /** @param words the lexicon's filter, or null @return one result per sentence */
    static List<Result> run(Stepper stepper, int sentences, int lang, int maxTokens, DecodingStrategy strategy,
            WordFilter words) {
        int[][] gen = new int[sentences][0];
        double[] sum = new double[sentences];
        SplittableRandom[] rng = new SplittableRandom[sentences];
        DecodingStrategy.Sampling sampling = strategy instanceof DecodingStrategy.Sampling sm ? sm : null;
        for (int i = 0; i < sentences; i++) {
            rng[i] = sampling == null ? null : new SplittableRandom(sampling.seed());
        }
        int[] prompt = {SonarTokenizer.EOS, lang};
        boolean full = sampling != null || words != null;
        int k = sampling == null && words != null ? words.look(1) : 1;
        Lexicon.State[] word = new Lexicon.State[sentences];
        Arrays.fill(word, Lexicon.start());
        StepResult step = stepper.prefill(sentences, lang, k, full);
        int[] rowsSentence = new int[sentences];
        for (int i = 0; i < sentences; i++) {
            rowsSentence[i] = i;
            sum[i] = finite(step.prompt[i], lang);
        }
        while (true) {
            List<Integer> parents = new ArrayList<>();
            for (int r = 0; r < rowsSentence.length; r++) {
                int s = rowsSentence[r];
                int tok;
                float lp;
                if (sampling == null && words != null) {
                    WordFilter.Allowed a = words.best(step, r, word[s], 1).get(0);
                    tok = a.token();
                    lp = a.logProb();
                    word[s] = a.state();
                } else if (sampling == null) {
                    tok = step.ids[r * step.k];
                    lp = step.logProbs[r * step.k];
                } else if (words != null) {
                    tok = sample(words.mask(step.full, r * step.vocab, step.vocab, word[s]), 0, step.vocab, sampling,
                            rng[s]);
                    lp = step.full[r * step.vocab + tok];
                    word[s] = words.after(word[s], tok);
                } else {
                    tok = sample(step.full, r * step.vocab, step.vocab, sampling, rng[s]);
                    lp = step.full[r * step.vocab + tok];
                }
                sum[s] += finite(lp, tok);
                gen[s] = Arrays.copyOf(gen[s], gen[s].length + 1);
                gen[s][gen[s].length - 1] = tok;
                if (tok != SonarTokenizer.EOS && gen[s].length < maxTokens) {
                    parents.add(r);
                }
            }
            if (parents.isEmpty()) {
                break;
            }
            int n = parents.size();
            int[] par = new int[n];
            int[] sent = new int[n];
            int[][] seqs = new int[n][];
            for (int i = 0; i < n; i++) {
                par[i] = parents.get(i);
                sent[i] = rowsSentence[par[i]];
                seqs[i] = concat(prompt, gen[sent[i]]);
            }
            step = stepper.next(par, sent, seqs, k, full);
            rowsSentence = sent;
        }
        List<Result> out = new ArrayList<>(sentences);
        for (int i = 0; i < sentences; i++) {
            out.add(new Result(gen[i], sum[i] / (gen[i].length + 1)));
        }
        return out;
    }

    /**
     * @param logProb a log-probability the search uses @param token its token
     * @return it, if finite or -inf (a token the model rules out)
     * @throws NonFiniteOutputException on NaN or +inf, or when the best token is -inf (the whole row is not finite)
     */
    static float finite(float logProb, int token) {
        if (Float.isNaN(logProb) || logProb == Float.POSITIVE_INFINITY) {
            throw new NonFiniteOutputException("decoder", "expected finite log-probabilities, found " + logProb
                    + " for token " + token + " (broken weights?)");
        }
        return logProb;
    }

    static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** Temperature, then top-k, then top-p (smallest set reaching p), then one draw. */
    static int sample(float[] lp, int off, int n, DecodingStrategy.Sampling o, SplittableRandom rng) {
        double[] w = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            w[i] = lp[off + i] / o.temperature();
            max = Math.max(max, w[i]);
        }
        double total = 0;
        for (int i = 0; i < n; i++) {
            w[i] = Math.exp(w[i] - max);
            total += w[i];
        }
        boolean filter = (o.topK() > 0 && o.topK() < n) || o.topP() < 1;
        if (filter) {
            // sort ids by weight, descending (ties by id), as packed longs
            long[] keys = new long[n];
            for (int i = 0; i < n; i++) {
                float p = (float) (w[i] / total);
                keys[i] = ((long) (Integer.MAX_VALUE - Float.floatToIntBits(p)) << 32) | i;
            }
            Arrays.sort(keys);
            int keep = o.topK() > 0 ? Math.min(o.topK(), n) : n;
            double kept = 0;
            double[] nw = new double[n];
            for (int r = 0; r < keep; r++) {
                int id = (int) (keys[r] & 0xffffffffL);
                nw[id] = w[id];
                kept += w[id];
            }
            if (o.topP() < 1) {
                double acc = 0;
                Arrays.fill(nw, 0);
                double newTotal = 0;
                for (int r = 0; r < keep; r++) {
                    int id = (int) (keys[r] & 0xffffffffL);
                    nw[id] = w[id];
                    newTotal += w[id];
                    acc += w[id] / kept;
                    if (acc >= o.topP()) {
                        break;
                    }
                }
                kept = newTotal;
            }
            w = nw;
            total = kept;
        }
        double u = rng.nextDouble() * total;
        double acc = 0;
        int lastNonZero = -1;
        for (int i = 0; i < n; i++) {
            if (w[i] > 0) {
                acc += w[i];
                lastNonZero = i;
                if (u < acc) {
                    return i;
                }
            }
        }
        return lastNonZero;
    }
}
