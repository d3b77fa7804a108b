package org.sonarllm.generate;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.sonarllm.segment.Segment;

/**
 * The outcome of one generation.
 *
 * <pre>{@code
 * GenerationResult r = generator.generate(prompt);
 * r.text();          // prompt + generated sentences, joined by single spaces
 * r.sentences();     // the generated sentences only
 * r.stopReason();    // "eos", "max_sentences", "repetition", "deadline", ...
 * }</pre>
 *
 * @param prompt the prompt's sentences as segmented
 * @param promptEmbeddings their vectors (after any {@link ContextPolicy#KEEP_LAST} cut, the kept ones)
 * @param sentences the generated sentences that were kept
 * @param stopReason the reason of the stop decision that ended the loop
 * @param timings where the time went
 */
public record GenerationResult(
        List<Segment> prompt,
        List<float[]> promptEmbeddings,
        List<GeneratedSentence> sentences,
        String stopReason,
        Timings timings) {

    /** Copies the lists. */
    public GenerationResult {
        prompt = List.copyOf(prompt);
        promptEmbeddings = promptEmbeddings.stream().map(float[]::clone).toList();
        sentences = List.copyOf(sentences);
    }

    /** @return prompt sentences and generated sentences joined with single spaces */
    public String text() {
        List<String> all = new ArrayList<>();
        prompt.forEach(s -> all.add(s.text()));
        sentences.forEach(s -> all.add(s.text()));
        return String.join(" ", all);
    }

    /** @return the generated sentences' texts joined with single spaces */
    public String generatedText() {
        return String.join(" ", sentences.stream().map(GeneratedSentence::text).toList());
    }

    /**
     * Wall-clock time per stage, summed over the loop. Prompts generated together in one batch of
     * {@link Generator#generateAll} share their calls, so each of their results reports the batch's
     * times.
     *
     * @param encode segmenting and encoding the prompt, and re-encoding generated text
     * @param predict running the concept LM
     * @param decode decoding vectors to text
     * @param total the whole call
     */
    public record Timings(Duration encode, Duration predict, Duration decode, Duration total) {}
}
