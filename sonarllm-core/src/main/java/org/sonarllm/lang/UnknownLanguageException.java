package org.sonarllm.lang;

import java.util.List;
import org.sonarllm.InvalidInputException;

/**
 * A language code is not one of the 202 FLORES-200 codes. {@link #suggestions()} lists close valid
 * codes, which the message names too.
 *
 * <pre>{@code
 * try { Language.of("eng_latn"); }
 * catch (UnknownLanguageException e) { e.suggestions(); } // [eng_Latn, ...]
 * }</pre>
 */
public class UnknownLanguageException extends InvalidInputException {
    private static final long serialVersionUID = 1L;
    private final List<String> suggestions;

    /**
     * @param message the message, naming the suggestions
     * @param suggestions close valid codes, best first
     */
    public UnknownLanguageException(String message, List<String> suggestions) {
        super(message);
        this.suggestions = List.copyOf(suggestions);
    }

    /** @return close valid codes, best first (may be empty) */
    public List<String> suggestions() {
        return suggestions;
    }
}
