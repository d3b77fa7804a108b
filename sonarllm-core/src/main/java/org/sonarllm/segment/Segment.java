package org.sonarllm.segment;

import org.sonarllm.InvalidInputException;

/**
 * One sentence cut out of a text: its text and its character offsets {@code [start, end)} into the
 * original string (UTF-16 indices, as {@link String#substring(int, int)} takes them). The text is
 * exactly {@code original.substring(start, end)}: segmenters trim surrounding white space by
 * choosing the offsets, never by editing characters.
 *
 * <pre>{@code
 * Segment s = segmenter.segment("Hello there. Bye.").get(1);
 * s.text();  // "Bye."
 * s.start(); // 13
 * }</pre>
 *
 * @param text the sentence text
 * @param start offset of its first character in the original text
 * @param end offset one past its last character
 */
public record Segment(String text, int start, int end) {
    /** Validates the offsets against the text length. */
    public Segment {
        if (text == null) {
            throw new InvalidInputException("segment text must not be null");
        }
        if (start < 0 || end < start || end - start != text.length()) {
            throw new InvalidInputException(
                    "segment offsets [" + start + ", " + end + ") do not fit a text of length " + text.length());
        }
    }
}
