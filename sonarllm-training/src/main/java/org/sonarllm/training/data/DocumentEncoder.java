package org.sonarllm.training.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.sonarllm.InvalidInputException;
import org.sonarllm.encode.ConceptEncoder;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.tokenize.SonarTokenizer;
import org.sonarllm.training.model.Batch;

/**
 * Sentences to training documents, the one way training ({@link CorpusPipeline}) and evaluation
 * ({@code eval-loss}) build them: every sentence is encoded (in batches) and tokenized to
 * {@code [lang] + pieces}, cut so that the decoder input {@code [</s>, lang] + pieces + [</s>]} fits the
 * decoder's positions (cuts are counted), and the {@link EndOfSequence} sentence is appended.
 *
 * <pre>{@code
 * DocumentEncoder enc = DocumentEncoder.forBundle(llm, Language.of("fra_Latn"));
 * List<Batch.Document> docs = enc.encode(List.of(List.of("Il pleut.", "Nous restons."))).documents();
 * }</pre>
 *
 * <p>Thread-safe if the encoder and the token function are.
 */
public final class DocumentEncoder {
    /** Sentences per encoder call of {@link #forBundle}. */
    public static final int ENCODE_BATCH = 32;

    private final ConceptEncoder encoder;
    private final Function<String, int[]> tokens;
    private final EndOfSequence eos;
    private final Language language;
    private final int decoderLimit;
    private final int encodeBatch;

    /**
     * @param encoder the SONAR encoder
     * @param tokens sentence to {@code [lang] + pieces} ids (see {@link #tokens})
     * @param eos the end-of-sequence sentence
     * @param language language of the sentences
     * @param decoderLimit most decoder input ids per sentence
     * @param encodeBatch sentences per encoder call
     */
    public DocumentEncoder(ConceptEncoder encoder, Function<String, int[]> tokens, EndOfSequence eos, Language language,
            int decoderLimit, int encodeBatch) {
        if (decoderLimit < 3 || encodeBatch < 1) {
            throw new InvalidInputException("expected a decoder limit >= 3 and an encoder batch >= 1, found "
                    + decoderLimit + " and " + encodeBatch);
        }
        this.encoder = encoder;
        this.tokens = tokens;
        this.eos = eos;
        this.language = language;
        this.decoderLimit = decoderLimit;
        this.encodeBatch = encodeBatch;
    }

    /**
     * The bundle's encoder, tokenizer, end-of-sequence sentence (manifest) and decoder positions.
     *
     * @param llm a loaded bundle
     * @param language language of the sentences
     * @return the document encoder
     */
    public static DocumentEncoder forBundle(SonarLlm llm, Language language) {
        ConceptEncoder enc = llm.encoder();
        return new DocumentEncoder(enc, tokens(llm.tokenizer(), language), EndOfSequence.fromManifest(llm.manifest(),
                llm.tokenizer()), language, llm.manifest().dimensions().maxPositions(), ENCODE_BATCH);
    }

    /**
     * @param tokenizer a tokenizer
     * @param lang language
     * @return sentence to {@code [lang] + pieces} (the tokenizer's decoder target without its final {@code </s>})
     */
    public static Function<String, int[]> tokens(SonarTokenizer tokenizer, Language lang) {
        return s -> {
            int[] t = tokenizer.decoderTarget(s, lang);
            return Arrays.copyOf(t, t.length - 1);
        };
    }

    /** @return the end-of-sequence sentence appended to every document */
    public EndOfSequence eos() {
        return eos;
    }

    /** @return the language of the sentences */
    public Language language() {
        return language;
    }

    /** @return the most decoder input ids per sentence */
    public int decoderLimit() {
        return decoderLimit;
    }

    /**
     * Encoded documents.
     *
     * @param documents one per input document, the end-of-sequence sentence appended
     * @param truncated sentences cut to the decoder limit
     */
    public record Encoded(List<Batch.Document> documents, long truncated) {}

    /**
     * @param documents documents as non-empty lists of sentences
     * @return the documents with embeddings and tokens
     */
    public Encoded encode(List<List<String>> documents) {
        List<String> flat = new ArrayList<>();
        for (List<String> d : documents) {
            if (d.isEmpty()) {
                throw new InvalidInputException("expected documents of at least one sentence, found an empty one");
            }
            flat.addAll(d);
        }
        List<float[]> emb = new ArrayList<>(flat.size());
        for (int i = 0; i < flat.size(); i += encodeBatch) {
            emb.addAll(encoder.encode(flat.subList(i, Math.min(flat.size(), i + encodeBatch)), language));
        }
        int[] eosTokens = cut(eos.tokens());
        List<Batch.Document> out = new ArrayList<>();
        long truncated = 0;
        int k = 0;
        for (List<String> d : documents) {
            float[][] e = new float[d.size() + 1][];
            int[][] t = new int[d.size() + 1][];
            for (int i = 0; i < d.size(); i++, k++) {
                e[i] = emb.get(k);
                int[] tok = tokens.apply(d.get(i));
                t[i] = cut(tok);
                truncated += t[i].length < tok.length ? 1 : 0;
            }
            e[d.size()] = eos.embedding();
            t[d.size()] = eosTokens;
            out.add(new Batch.Document(e, t));
        }
        return new Encoded(out, truncated);
    }

    private int[] cut(int[] tok) {
        return tok.length + 2 > decoderLimit ? Arrays.copyOf(tok, decoderLimit - 2) : tok;
    }
}
