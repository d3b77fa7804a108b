package org.sonarllm.generate;

import java.util.Arrays;

/**
 * One generated sentence with everything the loop computed for it.
 *
 * <pre>{@code
 * for (GeneratedSentence s : result.sentences()) {
 *     System.out.printf("%s (eos cosine %.3f)%n", s.text(), s.eosCosine());
 * }
 * }</pre>
 *
 * @param index 0-based position among the generated sentences
 * @param text the decoded text
 * @param ids the decoded token ids (prompt excluded, final {@code </s>} included when produced)
 * @param score the decoder's score for the text
 * @param predictedEmbedding the vector the concept LM predicted and the decoder decoded (with {@link
 *     SentenceSampling}, the chosen perturbed candidate)
 * @param feedbackEmbedding the vector appended to the sequence: the re-encoded text in {@link
 *     FeedbackMode#REENCODE}, the predicted vector in {@link FeedbackMode#PREDICTED_EMBEDDING}
 * @param eosCosine cosine of {@code feedbackEmbedding} with the end-of-sequence vector (what the
 *     default stop criterion tests, as SONAR-LLM's generate.py does)
 * @param predictedEosCosine cosine of {@code predictedEmbedding} with the end-of-sequence vector
 */
public record GeneratedSentence(
        int index,
        String text,
        int[] ids,
        double score,
        float[] predictedEmbedding,
        float[] feedbackEmbedding,
        double eosCosine,
        double predictedEosCosine) {

    /** Copies arrays so the record stays immutable. */
    public GeneratedSentence {
        ids = ids.clone();
        predictedEmbedding = predictedEmbedding.clone();
        feedbackEmbedding = feedbackEmbedding.clone();
    }

    @Override
    public int[] ids() {
        return ids.clone();
    }

    @Override
    public float[] predictedEmbedding() {
        return predictedEmbedding.clone();
    }

    @Override
    public float[] feedbackEmbedding() {
        return feedbackEmbedding.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GeneratedSentence g && g.index == index && g.text.equals(text)
                && Arrays.equals(g.ids, ids) && Arrays.equals(g.predictedEmbedding, predictedEmbedding)
                && Arrays.equals(g.feedbackEmbedding, feedbackEmbedding);
    }

    @Override
    public int hashCode() {
        return text.hashCode() * 31 + Arrays.hashCode(ids);
    }

    @Override
    public String toString() {
        return "GeneratedSentence[" + index + ": " + text + ", eosCosine=" + eosCosine + "]";
    }
}
