package org.sonarllm.training.data;

import java.util.Arrays;
import org.sonarllm.InvalidInputException;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.lang.Language;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * The end-of-sequence sentence appended to every training and evaluation document: the bundle's
 * {@code eosText} and {@code eosEmbedding} from the manifest (the vector the generator compares against
 * to stop), and as decoder targets the tokens of that text in <em>English</em> ({@code [eng_Latn] +
 * pieces}), whatever the corpus language, as the generator and the SONAR-LLM authors do.
 *
 * <pre>{@code
 * EndOfSequence eos = EndOfSequence.fromManifest(llm.manifest(), llm.tokenizer());
 * }</pre>
 *
 * @param text the sentence
 * @param embedding its SONAR embedding
 * @param tokens its decoder tokens {@code [eng_Latn] + pieces}
 */
public record EndOfSequence(String text, float[] embedding, int[] tokens) {
    /** Validates and copies. */
    public EndOfSequence {
        if (text == null || text.isBlank() || embedding == null || embedding.length == 0 || tokens == null
                || tokens.length == 0) {
            throw new InvalidInputException("expected an end-of-sequence text, embedding and tokens, found " + text + ", "
                    + (embedding == null ? "no embedding" : embedding.length + " dimensions") + ", "
                    + (tokens == null ? "no tokens" : tokens.length + " tokens"));
        }
        embedding = embedding.clone();
        tokens = tokens.clone();
    }

    /**
     * @param text the sentence
     * @param embedding its embedding
     * @param tokenizer the bundle's tokenizer (gives the English decoder tokens)
     * @return the end-of-sequence sentence
     */
    public static EndOfSequence of(String text, float[] embedding, SonarTokenizer tokenizer) {
        return new EndOfSequence(text, embedding, DocumentEncoder.tokens(tokenizer, Language.ENGLISH).apply(text));
    }

    /**
     * @param manifest a bundle manifest ({@code eosText}, {@code eosEmbedding})
     * @param tokenizer the bundle's tokenizer
     * @return the bundle's end-of-sequence sentence
     */
    public static EndOfSequence fromManifest(BundleManifest manifest, SonarTokenizer tokenizer) {
        return of(manifest.eosText(), manifest.eosEmbedding(), tokenizer);
    }

    @Override
    public float[] embedding() {
        return embedding.clone();
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EndOfSequence e && text.equals(e.text) && Arrays.equals(embedding, e.embedding)
                && Arrays.equals(tokens, e.tokens);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * text.hashCode() + Arrays.hashCode(embedding)) + Arrays.hashCode(tokens);
    }

    @Override
    public String toString() {
        return "EndOfSequence[" + text + ", d=" + embedding.length + ", tokens=" + Arrays.toString(tokens) + "]";
    }
}
