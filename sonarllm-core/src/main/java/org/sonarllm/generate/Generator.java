package org.sonarllm.generate;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

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
 *             + "in possession of a good fortune, must be in want of a wife.");   // the model's defaults
 *     System.out.println(r.text());
 *
 *     GenerationOptions opts = g.defaultOptions().toBuilder()
 *             .decoding(DecodingOptions.greedy())
 *             .stopCriterion(StopRules.paper().withMaxSentences(3))
 *             .build();
 *     g.generate("Once upon a time.", opts, s -> System.out.println(s.text())); // streaming
 *
 *     CompletableFuture<GenerationResult> f = g.generateAsync("It rained.", opts, GenerationListener.NONE);
 *     f.cancel(true);                                   // stops between two decoder tokens
 * }
 * }</pre>
 */
public interface Generator {
    /**
     * The options of the calls that take none: {@link GenerationOptions#defaults()} unless the model
     * has its own (a bundle's {@link ModelDefaults}, e.g. a repetition stop or the begin sentence).
     * Start custom options from {@code defaultOptions().toBuilder()} to keep them.
     *
     * @return the default options
     */
    default GenerationOptions defaultOptions() {
        return GenerationOptions.defaults();
    }

    /**
     * Generates with {@link #defaultOptions()}.
     *
     * @param prompt a non-blank text of one or more sentences
     * @return the generated continuation
     */
    default GenerationResult generate(String prompt) {
        return generate(prompt, defaultOptions());
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
     * Generates for many prompts, in batches that advance together (see {@link BatchOptions}). Results
     * are in prompt order and equal to what {@link #generate(String, GenerationOptions)} returns for
     * each prompt alone.
     *
     * @param prompts non-blank texts
     * @param options the options, shared by all prompts ({@link GenerationOptions#timeout()} applies
     *     to the whole call)
     * @return one result per prompt
     */
    List<GenerationResult> generateAll(List<String> prompts, GenerationOptions options);

    /**
     * @param prompts non-blank texts
     * @return {@link #generateAll(List, GenerationOptions)} with {@link #defaultOptions()}
     */
    default List<GenerationResult> generateAll(List<String> prompts) {
        return generateAll(prompts, defaultOptions());
    }

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

    /**
     * Generates on {@code executor}. Cancelling the returned future ({@code cancel(true)} or {@code
     * cancel(false)}, on the future itself, not on a dependent stage) stops the run between two
     * decoder tokens and releases its concept-LM resources; the generator stays usable. Errors
     * (bad input included, except a blank prompt) complete the future exceptionally.
     *
     * @param prompt a non-blank text
     * @param options the options ({@link GenerationOptions#timeout()} ends the run with reason
     *     {@value SonarLlmGenerator#DEADLINE})
     * @param listener called on the generating thread, in order
     * @param executor where the generation runs
     * @return the result's future
     * @throws org.sonarllm.InvalidInputException for a blank prompt
     */
    CompletableFuture<GenerationResult> generateAsync(String prompt, GenerationOptions options,
            GenerationListener listener, Executor executor);

    /**
     * {@link #generateAsync(String, GenerationOptions, GenerationListener, Executor)} on the
     * generator's own pool of daemon threads (one per core).
     *
     * @param prompt a non-blank text
     * @param options the options
     * @param listener called on the generating thread, in order
     * @return the result's future
     */
    CompletableFuture<GenerationResult> generateAsync(String prompt, GenerationOptions options,
            GenerationListener listener);

    /**
     * @param prompt a non-blank text
     * @return {@link #generateAsync(String, GenerationOptions, GenerationListener)} with {@link #defaultOptions()}
     */
    default CompletableFuture<GenerationResult> generateAsync(String prompt) {
        return generateAsync(prompt, defaultOptions(), GenerationListener.NONE);
    }
}
