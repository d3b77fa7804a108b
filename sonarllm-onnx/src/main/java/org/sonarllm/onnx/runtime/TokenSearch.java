package org.sonarllm.onnx.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.sonarllm.CancellationToken;
import org.sonarllm.decode.DecodingStrategy;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * Greedy and sampling search, one hypothesis per sentence, all sentences stepped together. A row
 * stops after {@code </s>} or after {@code maxTokens} tokens (no forced {@code </s>}). The score is
 * (log p(lang) + sum of the generated tokens' log-probabilities) / (tokens + 1), the model's own
 * untempered log-probabilities (log-softmax computed in the graph), as beam search normalises.
 */
final class TokenSearch {
    private TokenSearch() {}

    /** One decoded row. */
    record Result(int[] ids, double score) {}

    static List<Result> run(DecoderRunner runner, float[] crossAll, int sentences, int lang, int maxTokens,
            DecodingStrategy strategy, boolean kv, CancellationToken cancel) {
        int vocab = runner.vocab;
        int[][] gen = new int[sentences][0];
        double[] sum = new double[sentences];
        SplittableRandom[] rng = new SplittableRandom[sentences];
        DecodingStrategy.Sampling sampling = strategy instanceof DecodingStrategy.Sampling sm ? sm : null;
        for (int i = 0; i < sentences; i++) {
            rng[i] = sampling == null ? null : new SplittableRandom(sampling.seed());
        }
        int[] prompt = {SonarTokenizer.EOS, lang};
        try (StepDriver driver = new StepDriver(runner, crossAll, kv, cancel)) {
            DecoderRunner.Step step = driver.prefill(sentences, prompt);
            int[] rowsSentence = new int[sentences];
            for (int i = 0; i < sentences; i++) {
                rowsSentence[i] = i;
                sum[i] = step.logits()[step.offset(i, 0) + lang];
            }
            while (true) {
                List<Integer> parents = new ArrayList<>();
                for (int r = 0; r < rowsSentence.length; r++) {
                    int s = rowsSentence[r];
                    int off = StepDriver.last(step, r);
                    int tok = sampling == null ? argmax(step.logits(), off, vocab)
                            : sample(step.logits(), off, vocab, sampling, rng[s]);
                    sum[s] += step.logits()[off + tok];
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
                step = driver.next(par, sent, seqs);
                rowsSentence = sent;
            }
        }
        List<Result> out = new ArrayList<>(sentences);
        for (int i = 0; i < sentences; i++) {
            out.add(new Result(gen[i], sum[i] / (gen[i].length + 1)));
        }
        return out;
    }

    static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    static int argmax(float[] x, int off, int n) {
        int best = 0;
        float bv = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            if (x[off + i] > bv) {
                bv = x[off + i];
                best = i;
            }
        }
        return best;
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
