package org.sonarllm.generate;

import java.util.List;
import org.sonarllm.encode.Vectors;

/**
 * What a {@link StopCriterion} sees at one step of the loop, after the predicted vector was decoded
 * (and, in {@link FeedbackMode#REENCODE}, re-encoded): the candidate sentence and the history of
 * the sentences kept before it, so that rules over the history (repetition, topic drift, ...) need
 * no state of their own.
 *
 * <pre>{@code
 * StopCriterion c = step -> step.eosCosine() > 0.9 ? StopDecision.stopAndDrop("eos") : StopDecision.CONTINUE;
 * StopCriterion echo = step -> step.maxHistoryCosine() > 0.95 ? StopDecision.stopAndDrop("echo")
 *                                                               : StopDecision.CONTINUE;
 * }</pre>
 *
 * @param index 0-based index of the sentence being generated
 * @param sentence the candidate sentence (text, ids, vectors, cosines)
 * @param history the generated sentences kept before this one, oldest first (the prompt excluded)
 */
public record GenerationStep(int index, GeneratedSentence sentence, List<GeneratedSentence> history) {
    /** Copies the history. */
    public GenerationStep {
        history = List.copyOf(history);
    }

    /**
     * A step without history.
     *
     * @param index 0-based index of the sentence
     * @param sentence the candidate sentence
     */
    public GenerationStep(int index, GeneratedSentence sentence) {
        this(index, sentence, List.of());
    }

    /** @return the candidate's text */
    public String text() {
        return sentence.text();
    }

    /** @return cosine of the fed-back vector with the end-of-sequence vector */
    public double eosCosine() {
        return sentence.eosCosine();
    }

    /** @return cosine of the predicted vector with the end-of-sequence vector */
    public double predictedEosCosine() {
        return sentence.predictedEosCosine();
    }

    /** @return the vector the concept LM predicted (a copy) */
    public float[] predictedEmbedding() {
        return sentence.predictedEmbedding();
    }

    /**
     * @return for each sentence of {@link #history()}, the cosine of its fed-back vector with this
     *     candidate's (the re-encoded sentences in {@link FeedbackMode#REENCODE}, the predicted
     *     vectors in {@link FeedbackMode#PREDICTED_EMBEDDING})
     */
    public double[] historyCosines() {
        float[] v = sentence.feedbackEmbedding();
        double[] out = new double[history.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Vectors.cosine(v, history.get(i).feedbackEmbedding());
        }
        return out;
    }

    /** @return the largest of {@link #historyCosines()}, or -infinity with no history */
    public double maxHistoryCosine() {
        double max = Double.NEGATIVE_INFINITY;
        for (double c : historyCosines()) {
            max = Math.max(max, c);
        }
        return max;
    }

    /**
     * @return the largest share of this candidate's word pairs found in one earlier kept sentence
     *     ({@link WordPairs#maxOverlap}), in [0, 1]; 0 with no history
     */
    public double maxHistoryOverlap() {
        return WordPairs.maxOverlap(sentence.text(), history.stream().map(GeneratedSentence::text).toList());
    }

    /** @return whether an earlier kept sentence has the same text (ignoring surrounding white space) */
    public boolean repeatsVerbatim() {
        String t = sentence.text().strip();
        for (GeneratedSentence s : history) {
            if (s.text().strip().equals(t)) {
                return true;
            }
        }
        return false;
    }
}
