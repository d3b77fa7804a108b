package org.sonarllm.generate;

/**
 * Receives generated sentences as they are produced (streaming).
 *
 * <pre>{@code
 * generator.generate(prompt, options, s -> System.out.println(s.index() + ": " + s.text()));
 * }</pre>
 */
@FunctionalInterface
public interface GenerationListener {
    /** A listener that ignores everything. */
    GenerationListener NONE = s -> { };

    /**
     * Called once for each sentence kept in the output, in order, as soon as it is decoded.
     *
     * @param sentence the sentence
     */
    void onSentence(GeneratedSentence sentence);
}
