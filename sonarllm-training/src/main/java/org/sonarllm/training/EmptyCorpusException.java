package org.sonarllm.training;

import org.sonarllm.InvalidInputException;

/**
 * Nothing to train on: the corpus has no usable document (concept LM) or sentence (SONAR space).
 *
 * <pre>{@code
 * try {
 *     Dataset d = pipeline.load(CorpusReader.read(Path.of("corpus")), (done, total) -> {});
 * } catch (EmptyCorpusException e) {
 *     // "empty corpus: expected at least one training document, found none in 3 documents read"
 * }
 * }</pre>
 */
public final class EmptyCorpusException extends InvalidInputException {
    private static final long serialVersionUID = 1L;

    /**
     * @param unit what the task trains on ("document", "sentence")
     * @param detail where nothing was found (e.g. "in 3 documents read"), or empty
     */
    public EmptyCorpusException(String unit, String detail) {
        super("empty corpus: expected at least one training " + unit + ", found none" + (detail.isEmpty() ? "" : " " + detail));
    }
}
