package org.sonarllm.generate;

/**
 * What happens when the prompt's sentences do not fit the concept LM's context (after leaving room
 * for the sentences to generate, see {@link GenerationOptions#contextLimit()}).
 *
 * <pre>{@code
 * GenerationOptions.builder().contextPolicy(ContextPolicy.KEEP_LAST).build();
 * }</pre>
 */
public enum ContextPolicy {
    /** Reject the prompt with an {@link org.sonarllm.InvalidInputException} (default). */
    FAIL,
    /** Keep only the last sentences of the prompt that fit, and log how many were dropped. */
    KEEP_LAST
}
