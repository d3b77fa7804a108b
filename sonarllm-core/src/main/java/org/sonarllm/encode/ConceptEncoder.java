package org.sonarllm.encode;

import java.util.List;
import org.sonarllm.lang.Language;

/**
 * Encodes sentences into SONAR concept vectors (one {@link #dimension()}-dimensional float vector
 * per sentence; 1024 for the real SONAR).
 *
 * <p>Implementations are thread-safe and own native resources: close them (idempotent).
 *
 * <pre>{@code
 * try (SonarModel model = SonarModels.load(bundle)) {
 *     ConceptEncoder enc = model.encoder();
 *     List<float[]> vs = enc.encode(List.of("Hello.", "How are you?"), Language.ENGLISH);
 * }
 * }</pre>
 */
public interface ConceptEncoder extends AutoCloseable {
    /** @return the embedding size */
    int dimension();

    /**
     * Encodes a batch. Order of the result follows the input order, whatever batching or
     * length-sorting the implementation does inside.
     *
     * @param sentences non-null, non-blank sentences; an empty list gives an empty result
     * @param language the language of the sentences (selects the language token)
     * @return one vector per sentence
     * @throws org.sonarllm.InvalidInputException for a null or blank sentence
     */
    List<float[]> encode(List<String> sentences, Language language);

    /**
     * @param sentence a non-blank sentence
     * @param language its language
     * @return its vector
     */
    default float[] encode(String sentence, Language language) {
        return encode(List.of(sentence), language).get(0);
    }

    /** Releases native resources; further calls fail with {@link IllegalStateException}. */
    @Override
    void close();
}
