package org.sonarllm.onnx.runtime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.sonarllm.CancellationToken;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * Beam search as fairseq2 0.4's {@code BeamSearchSeq2SeqGenerator} runs it for SONAR: the prompt
 * {@code [</s>, lang]} is prefilled and its score starts at log p(lang | </s>); each step takes
 * log-softmax of the last position, forbids {@code <unk>} (id 3), adds the hypotheses' cumulative
 * scores, takes the top {@code 2*beam} candidates over all beams x vocabulary; an {@code </s>}
 * ranked among the first {@code beam} finishes its hypothesis, the first {@code beam} other
 * candidates continue. At the last step (token number {@code maxTokens}) only {@code </s>} is
 * allowed. A sentence is done when {@code beam} hypotheses have finished. A finished hypothesis
 * scores (summed log-probs incl. lang and {@code </s>}) / (generated tokens + 1)^lengthPenalty.
 * Sentences are stepped together in one batch.
 */
final class BeamSearch {
    private BeamSearch() {}

    /** A finished hypothesis: generated ids (final {@code </s>} included) and its score. */
    record Hypothesis(int[] ids, double score, double sumLogProb) {}

    private record Live(int sentence, int[] tokens, double cum) {}

    private record Cand(int hyp, int token, double score) {}

    /** @return per sentence, its finished hypotheses, best first */
    static List<List<Hypothesis>> run(DecoderRunner runner, float[] crossAll, int sentences, int lang, int maxTokens,
            int beam, double lengthPenalty, boolean kv, CancellationToken cancel) {
        int vocab = runner.vocab;
        int[] prompt = {SonarTokenizer.EOS, lang};
        List<List<Hypothesis>> finished = new ArrayList<>();
        boolean[] done = new boolean[sentences];
        try (StepDriver driver = new StepDriver(runner, crossAll, kv, cancel)) {
            DecoderRunner.Step step = driver.prefill(sentences, prompt);
            List<Live> rows = new ArrayList<>();
            for (int i = 0; i < sentences; i++) {
                finished.add(new ArrayList<>());
                double lp = step.logits()[step.offset(i, 0) + lang];
                rows.add(new Live(i, new int[0], lp));
            }
            for (int t = 1; ; t++) {
                boolean lastStep = t >= maxTokens;
                // group current rows by sentence
                List<List<Integer>> bySentence = new ArrayList<>();
                for (int i = 0; i < sentences; i++) {
                    bySentence.add(new ArrayList<>());
                }
                for (int r = 0; r < rows.size(); r++) {
                    bySentence.get(rows.get(r).sentence()).add(r);
                }
                List<Integer> parents = new ArrayList<>();
                List<Live> next = new ArrayList<>();
                for (int s = 0; s < sentences; s++) {
                    if (done[s] || bySentence.get(s).isEmpty()) {
                        continue;
                    }
                    Cand[] top = topCandidates(step, rows, bySentence.get(s), vocab, 2 * beam, lastStep);
                    List<Live> cont = new ArrayList<>();
                    for (int rank = 0; rank < top.length && top[rank] != null; rank++) {
                        Cand c = top[rank];
                        if (c.score() == Double.NEGATIVE_INFINITY) {
                            break;
                        }
                        Live h = rows.get(c.hyp());
                        if (c.token() == SonarTokenizer.EOS) {
                            if (rank < beam) {
                                int[] ids = TokenSearch.concat(h.tokens(), new int[] {c.token()});
                                finished.get(s).add(new Hypothesis(ids,
                                        c.score() / Math.pow(ids.length + 1, lengthPenalty), c.score()));
                                if (finished.get(s).size() >= beam) {
                                    done[s] = true;
                                    break;
                                }
                            }
                        } else if (cont.size() < beam) {
                            parents.add(c.hyp());
                            cont.add(new Live(s, TokenSearch.concat(h.tokens(), new int[] {c.token()}), c.score()));
                        }
                    }
                    if (done[s] || cont.isEmpty()) {
                        done[s] = true;
                        parents.subList(parents.size() - cont.size(), parents.size()).clear();
                    } else {
                        next.addAll(cont);
                    }
                }
                if (next.isEmpty() || lastStep) {
                    break;
                }
                int n = next.size();
                int[] par = new int[n];
                int[] sent = new int[n];
                int[][] seqs = new int[n][];
                for (int i = 0; i < n; i++) {
                    par[i] = parents.get(i);
                    sent[i] = next.get(i).sentence();
                    seqs[i] = TokenSearch.concat(prompt, next.get(i).tokens());
                }
                step = driver.next(par, sent, seqs);
                rows = next;
            }
        }
        for (List<Hypothesis> f : finished) {
            f.sort(Comparator.comparingDouble(Hypothesis::score).reversed());
        }
        return finished;
    }

    /** Top k of cum + lprobs over the sentence's rows x vocabulary, best first (nulls when fewer). */
    private static Cand[] topCandidates(DecoderRunner.Step step, List<Live> rows, List<Integer> rowIds, int vocab, int k,
            boolean lastStep) {
        Cand[] top = new Cand[k];
        int filled = 0;
        for (int r : rowIds) {
            double cum = rows.get(r).cum();
            float[] lp = step.logits();
            int off = StepDriver.last(step, r);
            int from = lastStep ? SonarTokenizer.EOS : 0;
            int to = lastStep ? SonarTokenizer.EOS + 1 : vocab;
            for (int v = from; v < to; v++) {
                if (v == SonarTokenizer.UNK) {
                    continue;
                }
                double sc = cum + lp[off + v];
                if (filled == k && !(sc > top[k - 1].score())) {
                    continue;
                }
                int pos = filled == k ? k - 1 : filled++;
                while (pos > 0 && top[pos - 1].score() < sc) {
                    top[pos] = top[pos - 1];
                    pos--;
                }
                top[pos] = new Cand(r, v, sc);
            }
        }
        return top;
    }
}
