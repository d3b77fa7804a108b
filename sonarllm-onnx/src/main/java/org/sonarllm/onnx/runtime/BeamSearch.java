package org.sonarllm.onnx.runtime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.sonarllm.decode.Lexicon;
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
 * Sentences are stepped together in one batch. With a {@link WordFilter} the candidates are each row's most
 * probable allowed tokens ({@link WordFilter#best}; {@code </s>} at the last step whatever the word in progress).
 */
final class BeamSearch {
    private BeamSearch() {}

    /** A finished hypothesis: generated ids (final {@code </s>} included) and its score. */
    record Hypothesis(int[] ids, double score, double sumLogProb) {}

    private record Live(int sentence, int[] tokens, double cum, Lexicon.State word) {}

    private record Cand(int hyp, int token, double score, Lexicon.State word) {}

    /**
     * Candidates asked of the decoder per row: a sentence's best {@code 2 * beam} continuations are among its
     * rows' best {@code 2 * beam} tokens (a row's cumulative score is one constant), plus one in case
     * {@code <unk>} is among them.
     */
    static int candidatesPerRow(int beam) {
        return 2 * beam + 1;
    }

    /** @return per sentence, its finished hypotheses, best first */
    static List<List<Hypothesis>> run(Stepper stepper, int sentences, int lang, int maxTokens, int beam,
            double lengthPenalty) {
        return run(stepper, sentences, lang, maxTokens, beam, lengthPenalty, null);
    }

    /** @param words the lexicon's filter, or null @return per sentence, its finished hypotheses, best first */
    static List<List<Hypothesis>> run(Stepper stepper, int sentences, int lang, int maxTokens, int beam,
            double lengthPenalty, WordFilter words) {
        boolean full = words != null;
        int[] prompt = {SonarTokenizer.EOS, lang};
        int k = full ? words.look(2 * beam) : candidatesPerRow(beam);
        List<List<Hypothesis>> finished = new ArrayList<>();
        boolean[] done = new boolean[sentences];
        StepResult step = stepper.prefill(sentences, lang, k, full);
        List<Live> rows = new ArrayList<>();
        for (int i = 0; i < sentences; i++) {
            finished.add(new ArrayList<>());
            rows.add(new Live(i, new int[0], TokenSearch.finite(step.prompt[i], lang), full ? Lexicon.start() : null));
        }
        for (int t = 1; ; t++) {
            boolean lastStep = t >= maxTokens;
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
                List<Cand> top = topCandidates(step, rows, bySentence.get(s), 2 * beam, lastStep, words);
                List<Live> cont = new ArrayList<>();
                for (int rank = 0; rank < top.size(); rank++) {
                    Cand c = top.get(rank);
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
                        cont.add(new Live(s, TokenSearch.concat(h.tokens(), new int[] {c.token()}), c.score(), c.word()));
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
            step = stepper.next(par, sent, seqs, k, full);
            rows = next;
        }
        for (List<Hypothesis> f : finished) {
            f.sort(Comparator.comparingDouble(Hypothesis::score).reversed());
        }
        return finished;
    }

    /**
     * The sentence's best {@code n} candidates (cumulative score + log-prob) over its rows' candidates, best
     * first; on equal scores the earlier row, then the lower token, as a scan over rows x vocabulary keeps them.
     * {@code <unk>} is never a candidate; at the last step only {@code </s>} is.
     */
    private static List<Cand> topCandidates(StepResult step, List<Live> rows, List<Integer> rowIds, int n,
            boolean lastStep, WordFilter words) {
        List<Cand> all = new ArrayList<>();
        for (int r : rowIds) {
            double cum = rows.get(r).cum();
            // a NaN anywhere makes log-softmax NaN everywhere in the row: one entry tells
            float eos = TokenSearch.finite(step.eos[r], SonarTokenizer.EOS);
            if (lastStep) {
                all.add(new Cand(r, SonarTokenizer.EOS, cum + eos, null));
                continue;
            }
            if (words != null) {
                for (WordFilter.Allowed a : words.best(step, r, rows.get(r).word(), n)) {
                    all.add(new Cand(r, a.token(), cum + TokenSearch.finite(a.logProb(), a.token()), a.state()));
                }
                continue;
            }
            int taken = 0;
            for (int j = 0; j < step.k && taken < n; j++) {
                int tok = step.ids[r * step.k + j];
                if (tok == SonarTokenizer.UNK) {
                    continue;
                }
                float lp = TokenSearch.finite(step.logProbs[r * step.k + j], tok);
                all.add(new Cand(r, tok, cum + lp, null));
                taken++;
            }
        }
        // stable sort: candidates are in (row, rank) order, and within a row equal values come lower id first
        all.sort(Comparator.comparingDouble(Cand::score).reversed());
        return all.size() > n ? all.subList(0, n) : all;
    }
}
