package org.sonarllm.decode;

import java.util.List;
import org.sonarllm.CancellationToken;
import org.sonarllm.CancelledException;
import org.sonarllm.lang.Language;

/**
 * Decodes concept vectors back into text in any SONAR language, with greedy, beam or sampling
 * search ({@link DecodingOptions}). Decoding in a language other than the one a vector was encoded
 * from is translation.
 *
 * <p>Thread-safe; owns native resources (close is idempotent).
 *
 * <pre>{@code
 * float[] v = encoder.encode("The weather is fine.", Language.ENGLISH);
 * DecodedSentence fr = decoder.decode(v, Language.of("fra_Latn"), DecodingOptions.beam(5));
 * }</pre>
 */
public interface ConceptDecoder extends AutoCloseable {
    /** @return the size of the vectors it decodes */
    int dimension();

    /**
     * Decodes a batch; vectors are decoded together where the implementation can.
     *
     * @param embeddings vectors of {@link #dimension()} finite floats; empty gives an empty result
     * @param language the output language
     * @param options search strategy and limits
     * @return one result per vector, in input order
     * @throws org.sonarllm.InvalidInputException for a wrong dimension or NaN/Inf values
     */
    List<DecodedSentence> decode(List<float[]> embeddings, Language language, DecodingOptions options);

    /**
     * Like {@link #decode(List, Language, DecodingOptions)}, stopping early when {@code cancel} is set.
     * Implementations that decode token by token check the token between two decoding steps and throw
     * {@link CancelledException}; this default checks it once before and once after the whole batch.
     *
     * @param embeddings vectors of {@link #dimension()} finite floats
     * @param language the output language
     * @param options search strategy and limits
     * @param cancel checked between tokens (never null; {@link CancellationToken#NONE} for none)
     * @return one result per vector, in input order
     * @throws CancelledException if {@code cancel} was set; nothing of the batch is returned
     */
    default List<DecodedSentence> decode(List<float[]> embeddings, Language language, DecodingOptions options,
            CancellationToken cancel) {
        cancel.throwIfCancelled("decoding");
        List<DecodedSentence> out = decode(embeddings, language, options);
        cancel.throwIfCancelled("decoding");
        return out;
    }

    /**
     * @param embedding one vector
     * @param language the output language
     * @param options search strategy and limits
     * @return its decoding
     */
    default DecodedSentence decode(float[] embedding, Language language, DecodingOptions options) {
        return decode(List.of(embedding), language, options).get(0);
    }

    /** Releases native resources (idempotent). */
    @Override
    void close();
}
