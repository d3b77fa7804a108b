package org.sonarllm.generate;

import java.util.List;

/**
 * Continues a text sentence by sentence through concept space: the SONAR-LLM loop (segment the
 * prompt, encode, predict the next vector, decode it, check the stop criteria, feed it back,
 * repeat).
 *
 * <p>Implementations are safe for concurrent use by several threads.
 *
 * <pre>{@code
 * try (SonarModel model = SonarModels.loadDefault()) {
 *     Generator g = model.generator();
 *     GenerationResult r = g.generate("It is a truth universally acknowledged, that a single man "
 *             + "in possession of a good fortune, must be in want of a wife.");
 *     System.out.println(r.text());
 *
 *     GenerationOptions opts = GenerationOptions.builder()
 *             .decoding(DecodingOptions.greedy())
 *             .stopCriterion(StopCriterion.maxSentences(3))
 *             .build();
 *     g.generate("Once upon a time.", opts, s -> System.out.println(s.text())); // streaming
 * }
 * }</pre>
 */
public interface Generator {
    /**
     * Generates with {@link GenerationOptions#defaults()}.
     *
     * @param prompt a non-blank text of one or more sentences
     * @return the generated continuation
     */
    default GenerationResult generate(String prompt) {
        return generate(prompt, GenerationOptions.defaults());
    }

    /**
     * @param prompt a non-blank text
     * @param options languages, decoding, stop criteria, feed-back mode, context policy
     * @return the generated continuation
     */
    default GenerationResult generate(String prompt, GenerationOptions options) {
        return generate(prompt, options, GenerationListener.NONE);
    }

    /**
     * Generates and streams: {@code listener} receives each kept sentence as soon as it is decoded.
     *
     * @param prompt a non-blank text
     * @param options the options
     * @param listener called on the generating thread, in order
     * @return the generated continuation
     * @throws org.sonarllm.InvalidInputException for a blank prompt, or a prompt longer than the
     *     context limit under {@link ContextPolicy#FAIL}
     */
    GenerationResult generate(String prompt, GenerationOptions options, GenerationListener listener);

    /**
     * Generates for many prompts. Results are in prompt order and equal to what {@link
     * #generate(String, GenerationOptions)} returns for each prompt alone.
     *
     * @param prompts non-blank texts
     * @param options the options, shared by all prompts
     * @return one result per prompt
     */
    List<GenerationResult> generateAll(List<String> prompts, GenerationOptions options);

    /**
     * Generates from a prompt that is already split into sentences (no segmentation is run; each
     * string is encoded as one sentence). {@link GenerationResult#prompt()} holds the sentences with
     * offsets into their single-space join.
     *
     * <pre>{@code
     * g.generateSentences(List.of("It rained.", "We stayed in."), opts, GenerationListener.NONE);
     * }</pre>
     *
     * @param sentences one or more non-blank sentences
     * @param options the options
     * @param listener called on the generating thread, in order
     * @return the generated continuation
     * @throws org.sonarllm.InvalidInputException for an empty list or a null/blank sentence, or a
     *     prompt longer than the context limit under {@link ContextPolicy#FAIL}
     */
    GenerationResult generateSentences(List<String> sentences, GenerationOptions options, GenerationListener listener);
}
