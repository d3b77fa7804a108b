package org.sonarllm.generate;

import org.sonarllm.model.ConceptLMConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.sonarllm.InvalidInputException;
import org.sonarllm.SonarLlmException;
import org.sonarllm.decode.ConceptDecoder;
import org.sonarllm.encode.ConceptEncoder;
import org.sonarllm.lang.Language;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.segment.Segment;
import org.sonarllm.segment.SentenceSegmenter;

/**
 * The SONAR-LLM generation loop over any segmenter, encoder, concept LM and decoder: segment the
 * prompt, encode its sentences, then repeatedly predict the next vector, decode it to text, (in
 * {@link FeedbackMode#REENCODE}) re-encode that text, ask the {@link StopCriterion}, stream the kept
 * sentence to the listener and append the fed-back vector to the concept LM's session (its key/value
 * cache makes each step cost one position).
 *
 * <p>Semantics, as SONAR-LLM's {@code generate.py}:
 * <ul>
 *   <li>step k predicts from the prompt plus the k sentences generated so far;
 *   <li>{@link GeneratedSentence#eosCosine()} is the cosine of the fed-back vector (the re-encoded
 *       text, or the prediction itself in {@link FeedbackMode#PREDICTED_EMBEDDING}) with the
 *       end-of-sequence vector, by default the encoding of {@value ConceptLMConfig#EOS_TEXT} in English;
 *   <li>a stop with {@code keepSentence == false} drops that step's sentence;
 *   <li>a decoded text that is blank ends generation with reason {@value #EMPTY_SENTENCE} (dropped:
 *       it cannot be re-encoded and carries no content);
 *   <li>context: at most {@code contextLimit} sentences, prompt plus generated, where the limit is
 *       {@link GenerationOptions#contextLimit()} or, when that is 0, {@link ConceptLM#contextLimit()}
 *       (an option above the model's limit is rejected). A prompt of {@code n >= limit} sentences
 *       leaves no room: {@link ContextPolicy#FAIL} throws {@link InvalidInputException}, {@link
 *       ContextPolicy#KEEP_LAST} keeps its last {@code limit - 1} sentences (logged). When the
 *       sentences reach the limit, generation stops with reason {@value #CONTEXT_LIMIT} (the last
 *       sentence is kept);
 *   <li>sampling: sentence k is decoded with the seed {@code seed + k * 0x9E3779B97F4A7C15L}, so a run
 *       is reproducible while sentences do not share one random stream.
 * </ul>
 *
 * <p>Thread-safe: the generator holds only its (thread-safe) components; every call opens its own
 * concept-LM session. It does not own the components and does not close them.
 *
 * <pre>{@code
 * Generator g = SonarLlmGenerator.builder()
 *         .segmenter(SentenceSegmenters::forLanguage)
 *         .encoder(encoder).conceptLm(lm).decoder(decoder)
 *         .build();                                  // EOS vector = encoder("End of sequence.")
 * GenerationResult r = g.generate("Once upon a time there was a king.",
 *         GenerationOptions.builder().decoding(DecodingOptions.greedy()).build(),
 *         s -> System.out.println(s.text()));
 * }</pre>
 */
public final class SonarLlmGenerator implements Generator {
    /** Stop reason when the prompt plus generated sentences reach the context limit. */
    public static final String CONTEXT_LIMIT = "context_limit";
    /** Stop reason when a predicted vector decodes to blank text. */
    public static final String EMPTY_SENTENCE = "empty_sentence";

    private final Function<Language, SentenceSegmenter> segmenters;
    private final ConceptEncoder encoder;
    private final ConceptLM conceptLm;
    private final ConceptDecoder decoder;
    private final float[] eosEmbedding;
    private final int batchThreads;

    private SonarLlmGenerator(Builder b, float[] eos) {
        this.segmenters = b.segmenters;
        this.encoder = b.encoder;
        this.conceptLm = b.conceptLm;
        this.decoder = b.decoder;
        this.eosEmbedding = eos;
        this.batchThreads = b.batchThreads;
    }

    /** @return a builder; segmenter, encoder, concept LM and decoder are required */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a copy of the end-of-sequence vector the default criterion compares with */
    public float[] eosEmbedding() {
        return eosEmbedding.clone();
    }

    @Override
    public GenerationResult generate(String prompt, GenerationOptions options, GenerationListener listener) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(listener, "listener");
        if (prompt == null || prompt.isBlank()) {
            throw new InvalidInputException("prompt must contain text, got "
                    + (prompt == null ? "null" : "blank text of length " + prompt.length()));
        }
        long t0 = System.nanoTime();
        SentenceSegmenter segmenter = segmenters.apply(options.inputLanguage());
        if (segmenter == null) {
            throw new InvalidInputException("no sentence segmenter for " + options.inputLanguage());
        }
        List<Segment> segments = segmenter.segment(prompt);
        if (segments.isEmpty()) {
            throw new InvalidInputException("prompt has no sentence after segmentation");
        }
        return new GenerationRun(this, options, listener).run(segments, System.nanoTime() - t0, t0);
    }

    @Override
    public GenerationResult generateSentences(List<String> sentences, GenerationOptions options,
            GenerationListener listener) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(listener, "listener");
        if (sentences == null || sentences.isEmpty()) {
            throw new InvalidInputException("prompt must contain at least one sentence, got none");
        }
        long t0 = System.nanoTime();
        List<Segment> segments = new ArrayList<>(sentences.size());
        int pos = 0;
        for (int i = 0; i < sentences.size(); i++) {
            String s = sentences.get(i);
            if (s == null || s.isBlank()) {
                throw new InvalidInputException("prompt sentence " + i + " must contain text, got "
                        + (s == null ? "null" : "blank text"));
            }
            segments.add(new Segment(s, pos, pos + s.length()));
            pos += s.length() + 1;
        }
        return new GenerationRun(this, options, listener).run(segments, 0, t0);
    }

    @Override
    public List<GenerationResult> generateAll(List<String> prompts, GenerationOptions options) {
        Objects.requireNonNull(prompts, "prompts");
        Objects.requireNonNull(options, "options");
        for (int i = 0; i < prompts.size(); i++) {
            String p = prompts.get(i);
            if (p == null || p.isBlank()) {
                throw new InvalidInputException("prompt " + i + " must contain text, got "
                        + (p == null ? "null" : "blank text"));
            }
        }
        if (batchThreads <= 1 || prompts.size() <= 1) {
            List<GenerationResult> out = new ArrayList<>(prompts.size());
            for (String p : prompts) {
                out.add(generate(p, options));
            }
            return out;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(batchThreads, prompts.size()));
        try {
            List<Future<GenerationResult>> futures = new ArrayList<>();
            for (String p : prompts) {
                futures.add(pool.submit(() -> generate(p, options)));
            }
            List<GenerationResult> out = new ArrayList<>(prompts.size());
            for (Future<GenerationResult> f : futures) {
                out.add(f.get());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SonarLlmException("batch generation interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new SonarLlmException("batch generation failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    ConceptEncoder encoder() {
        return encoder;
    }

    ConceptLM conceptLm() {
        return conceptLm;
    }

    ConceptDecoder decoder() {
        return decoder;
    }

    float[] eos() {
        return eosEmbedding;
    }

    /**
     * Builder for {@link SonarLlmGenerator}.
     *
     * <pre>{@code
     * SonarLlmGenerator.builder().segmenter(seg).encoder(enc).conceptLm(lm).decoder(dec)
     *         .eosEmbedding(eosVector).batchThreads(4).build();
     * }</pre>
     */
    public static final class Builder {
        private Function<Language, SentenceSegmenter> segmenters;
        private ConceptEncoder encoder;
        private ConceptLM conceptLm;
        private ConceptDecoder decoder;
        private float[] eosEmbedding;
        private int batchThreads = 1;

        private Builder() {}

        /** @param perLanguage the segmenter to use for a prompt language @return this */
        public Builder segmenter(Function<Language, SentenceSegmenter> perLanguage) {
            this.segmenters = perLanguage;
            return this;
        }

        /** @param s one segmenter for every language @return this */
        public Builder segmenter(SentenceSegmenter s) {
            Objects.requireNonNull(s, "segmenter");
            this.segmenters = l -> s;
            return this;
        }

        /** @param e the sentence encoder @return this */
        public Builder encoder(ConceptEncoder e) {
            this.encoder = e;
            return this;
        }

        /** @param lm the concept LM @return this */
        public Builder conceptLm(ConceptLM lm) {
            this.conceptLm = lm;
            return this;
        }

        /** @param d the decoder @return this */
        public Builder decoder(ConceptDecoder d) {
            this.decoder = d;
            return this;
        }

        /**
         * @param eos the end-of-sequence vector; default: the encoder's vector for {@value ConceptLMConfig#EOS_TEXT}
         *     in English
         * @return this
         */
        public Builder eosEmbedding(float[] eos) {
            this.eosEmbedding = eos == null ? null : eos.clone();
            return this;
        }

        /** @param n threads {@link #generateAll} uses (default 1: prompts one after another) @return this */
        public Builder batchThreads(int n) {
            if (n < 1) {
                throw new InvalidInputException("batch threads must be >= 1, got " + n);
            }
            this.batchThreads = n;
            return this;
        }

        /**
         * @return the generator
         * @throws InvalidInputException if a component is missing or the dimensions disagree
         */
        public SonarLlmGenerator build() {
            if (segmenters == null || encoder == null || conceptLm == null || decoder == null) {
                throw new InvalidInputException("generator needs a segmenter, an encoder, a concept LM and a decoder;"
                        + " missing: " + (segmenters == null ? "segmenter " : "") + (encoder == null ? "encoder " : "")
                        + (conceptLm == null ? "conceptLm " : "") + (decoder == null ? "decoder" : "").strip());
            }
            int d = conceptLm.dimension();
            if (encoder.dimension() != d || decoder.dimension() != d) {
                throw new InvalidInputException("component dimensions disagree: encoder " + encoder.dimension()
                        + ", concept LM " + d + ", decoder " + decoder.dimension());
            }
            float[] eos = eosEmbedding != null ? eosEmbedding : encoder.encode(ConceptLMConfig.EOS_TEXT, Language.ENGLISH);
            if (eos.length != d) {
                throw new InvalidInputException("expected an end-of-sequence vector of dimension " + d
                        + ", found " + eos.length);
            }
            return new SonarLlmGenerator(this, eos);
        }
    }
}
