package org.sonarllm.generate;

/**
 * What is appended to the concept LM's sequence after each generated sentence.
 *
 * <pre>{@code
 * GenerationOptions.builder().feedback(FeedbackMode.PREDICTED_EMBEDDING).build();
 * }</pre>
 */
public enum FeedbackMode {
    /** Decode the predicted vector, re-encode the text, append that (SONAR-LLM's generate.py; default). */
    REENCODE,
    /** Append the predicted vector itself, as LCM does; cheaper, no re-encoding. */
    PREDICTED_EMBEDDING
}
