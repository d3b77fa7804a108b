package org.sonarllm.generate;

/**
 * What a {@link StopCriterion} sees at one step of the loop, after the predicted vector was decoded
 * (and, in {@link FeedbackMode#REENCODE}, re-encoded).
 *
 * <pre>{@code
 * StopCriterion c = step -> step.eosCosine() > 0.9 ? StopDecision.stopAndDrop("eos") : StopDecision.CONTINUE;
 * }</pre>
 *
 * @param index 0-based index of the sentence being generated
 * @param sentence the candidate sentence (text, ids, vectors, cosines)
 */
public record GenerationStep(int index, GeneratedSentence sentence) {
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
}
