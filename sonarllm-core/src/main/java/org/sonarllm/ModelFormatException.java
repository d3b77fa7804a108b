package org.sonarllm;

/**
 * A model file, checkpoint or bundle is missing, corrupt or inconsistent: a truncated safetensors
 * header, a manifest whose sha256 does not match, a graph with unexpected inputs, a config whose
 * dimensions disagree with the weights. Messages read "expected X, found Y" and name the file.
 *
 * <pre>{@code
 * try (SonarModel model = SonarModels.load(Path.of("my-bundle"))) { ... }
 * catch (ModelFormatException e) { System.err.println(e.getMessage()); }
 * }</pre>
 */
public class ModelFormatException extends SonarLlmException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong with which file */
    public ModelFormatException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong with which file
     * @param cause the underlying failure
     */
    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
