package org.sonarllm;

/**
 * A model produced NaN or infinite values from finite input: its weights are broken (corrupt,
 * overflowed, or read as garbage), so no output of it can be trusted. The message names the model
 * component ({@code encoder}, {@code decoder}, ...) and where the value appeared.
 *
 * <pre>{@code
 * try { encoder.encode(sentences, Language.ENGLISH); }
 * catch (NonFiniteOutputException e) { System.err.println(e.component() + ": " + e.getMessage()); }
 * }</pre>
 */
public class NonFiniteOutputException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    private final String component;

    /**
     * @param component the model component, e.g. {@code encoder}
     * @param message what was expected and found where
     */
    public NonFiniteOutputException(String component, String message) {
        super(component + ": " + message);
        this.component = component;
    }

    /** @return the model component whose output was not finite */
    public String component() {
        return component;
    }
}
