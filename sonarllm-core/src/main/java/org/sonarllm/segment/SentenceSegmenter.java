package org.sonarllm.segment;

import java.util.List;

/**
 * Splits text into sentences, the unit SONAR encodes into one concept vector.
 *
 * <p>Contract: segments are in text order, do not overlap, are non-empty and start and end on a
 * non-white-space character; every non-white-space character of the input belongs to exactly one
 * segment. Implementations are thread-safe.
 *
 * <pre>{@code
 * SentenceSegmenter seg = SentenceSegmenters.forLanguage(Language.ENGLISH);
 * for (Segment s : seg.segment("Mr. Darcy arrived at 5 p.m. on Jan. 3rd. He left.")) {
 *     System.out.println(s.text());
 * }
 * }</pre>
 */
public interface SentenceSegmenter {
    /**
     * @param text any text; may contain newlines, emoji or unpaired surrogates
     * @return the sentences with their offsets; empty if the text is blank
     * @throws org.sonarllm.InvalidInputException if {@code text} is null
     */
    List<Segment> segment(String text);
}
