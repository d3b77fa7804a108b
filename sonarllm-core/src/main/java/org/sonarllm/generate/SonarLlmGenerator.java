package org.sonarllm.generate;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.sonarllm.InvalidInputException;
import org.sonarllm.SonarLlmException;
import org.sonarllm.decode.ConceptDecoder;
import org.sonarllm.encode.ConceptEncoder;
import org.sonarllm.lang.Language;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.segment.Segment;
import org.sonarllm.segment.SentenceSegmenter;

/**
 * The SONAR-LLM generation loop over any segmenter, encoder, concept LM and decoder: segment the
 * prompt, encode its sentences, then repeatedly predict the next vector, decode it to text, (in
 * {@link FeedbackMode#REENCODE}) re-encode that text, ask the {@link StopCriterion}, stream the kept
 * sentence to the listener and append the fed-back vector to the concept LM's batch (its key/value
 * cache makes each step cost one position).
 *
 * <p>Semantics, as SONAR-LLM's {@code generate.py}:
 * <ul>
 *   <li>step k predicts from the prompt plus the k sentences generated so far (preceded by {@value
 *       GenerationOptions#BEGIN_TEXT} with {@link GenerationOptions#addBegin()});
 *   <li>{@link GeneratedSentence#eosCosine()} is the cosine of the fed-back vector (the re-encoded
 *       text, or the prediction itself in {@link FeedbackMode#PREDICTED_EMBEDDING}) with the
 *       end-of-sequence vector, by default the encoding of {@value ConceptLMConfig#EOS_TEXT} in English;
 *   <li>a stop with {@code keepSentence == false} drops that step's sentence;
 *   <li>a decoded text that is blank ends generation with reason {@value #EMPTY_SENTENCE} (dropped:
 *       it cannot be re-encoded and carries no content);
 *   <li>context: at most {@code contextLimit} sentences, begin sentence, prompt and generated, where the
 *       limit is {@link GenerationOptions#contextLimit()} or, when that is 0, {@link ConceptLM#contextLimit()}
 *       (an option above the model's limit is rejected). A prompt that leaves no room for a generated
 *       sentence: {@link ContextPolicy#FAIL} throws {@link InvalidInputException}, {@link
 *       ContextPolicy#KEEP_LAST} keeps its last sentences that fit (logged). When the sentences reach
 *       the limit, generation stops with reason {@value #CONTEXT_LIMIT} (the last sentence is kept);
 *   <li>sampling: sentence k is decoded with the seed {@code seed + k * 0x9E3779B97F4A7C15L}, so a run
 *       is reproducible while sentences do not share one random stream; sentence-level sampling is
 *       described in {@link SentenceSampling};
 *   <li>{@link GenerationOptions#timeout()}: checked between steps and, through the decoder, between
 *       tokens; unfinished prompts end with reason {@value #DEADLINE}.
 * </ul>
 *
 * <p>{@link #generateAll} runs prompts in batches of {@link BatchOptions#batchSize()} that advance
 * together (one concept-LM, decoder and re-encoder call per step for the whole batch), {@link
 * BatchOptions#threads()} batches at a time; the results equal single calls.
 *
 * <p>Thread-safe: the generator holds only its (thread-safe) components; every call opens its own
 * concept-LM batch. It does not own the components and does not close them. {@link #generateAsync}
 * runs on a pool of daemon threads (one per core, idle ones end) unless given an executor.
 *
 * <pre>{@code
 * Generator g = SonarLlmGenerator.builder()
 *         .segmenter(SentenceSegmenters::forLanguage)
 *         .encoder(encoder).conceptLm(lm).decoder(decoder)
 *         .batchOptions(BatchOptions.of(16, 1))
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
    /** Stop reason when {@link GenerationOptions#timeout()} ran out. */
    public static final String DEADLINE = "deadline";

    private final Function<Language, SentenceSegmenter> segmenters;
    private final ConceptEncoder encoder;
    private final ConceptLM conceptLm;
    private final ConceptDecoder decoder;
    private final float[] eosEmbedding;
    private final GenerationOptions defaults;
    private final BatchOptions batching;
    private volatile float[] beginEmbedding;
    private volatile ExecutorService asyncPool;

    private SonarLlmGenerator(Builder b, float[] eos) {
        this.segmenters = b.segmenters;
        this.encoder = b.encoder;
        this.conceptLm = b.conceptLm;
        this.decoder = b.decoder;
        this.eosEmbedding = eos;
        this.defaults = b.defaults;
        this.batching = b.batching;
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
    public GenerationOptions defaultOptions() {
        return defaults;
    }

    /** @return how {@link #generateAll} batches prompts */
    public BatchOptions batchOptions() {
        return batching;
    }

    @Override
    public GenerationResult generate(String prompt, GenerationOptions options, GenerationListener listener) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(listener, "listener");
        long t0 = System.nanoTime();
        return generate(prompt, options, listener, new RunControl(options.timeout(), t0), t0);
    }

    private GenerationResult generate(String prompt, GenerationOptions options, GenerationListener listener,
            RunControl control, long t0) {
        List<Segment> segments = segment(prompt, options, "prompt");
        return new GenerationRun(this, options, control).run(List.of(segments), List.of(listener),
                System.nanoTime() - t0, t0).get(0);
    }

    private List<Segment> segment(String prompt, GenerationOptions options, String what) {
        if (prompt == null || prompt.isBlank()) {
            throw new InvalidInputException(what + " must contain text, got "
                    + (prompt == null ? "null" : "blank text of length " + prompt.length()));
        }
        SentenceSegmenter segmenter = segmenters.apply(options.inputLanguage());
        if (segmenter == null) {
            throw new InvalidInputException("no sentence segmenter for " + options.inputLanguage());
        }
        List<Segment> segments = segmenter.segment(prompt);
        if (segments.isEmpty()) {
            throw new InvalidInputException(what + " has no sentence after segmentation");
        }
        return segments;
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
        return new GenerationRun(this, options, new RunControl(options.timeout(), t0))
                .run(List.of(segments), List.of(listener), 0, t0).get(0);
    }

    @Override
    public CompletableFuture<GenerationResult> generateAsync(String prompt, GenerationOptions options,
            GenerationListener listener, Executor executor) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(executor, "executor");
        if (prompt == null || prompt.isBlank()) {
            throw new InvalidInputException("prompt must contain text, got "
                    + (prompt == null ? "null" : "blank text of length " + prompt.length()));
        }
        long t0 = System.nanoTime();
        return AsyncGeneration.start(new RunControl(options.timeout(), t0),
                c -> generate(prompt, options, listener, c, t0), executor);
    }

    @Override
    public CompletableFuture<GenerationResult> generateAsync(String prompt, GenerationOptions options,
            GenerationListener listener) {
        return generateAsync(prompt, options, listener, pool());
    }

    private Executor pool() {
        ExecutorService p = asyncPool;
        if (p == null) {
            synchronized (this) {
                if (asyncPool == null) {
                    asyncPool = AsyncGeneration.defaultPool();
                }
                p = asyncPool;
            }
        }
        return p;
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
        long t0 = System.nanoTime();
        RunControl control = new RunControl(options.timeout(), t0);
        List<List<String>> chunks = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i += batching.batchSize()) {
            chunks.add(prompts.subList(i, Math.min(prompts.size(), i + batching.batchSize())));
        }
        if (batching.threads() == 1 || chunks.size() <= 1) {
            List<GenerationResult> out = new ArrayList<>(prompts.size());
            for (List<String> c : chunks) {
                out.addAll(runChunk(c, options, control));
            }
            return out;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(batching.threads(), chunks.size()));
        try {
            List<Future<List<GenerationResult>>> futures = new ArrayList<>();
            for (List<String> c : chunks) {
                futures.add(pool.submit(() -> runChunk(c, options, control)));
            }
            List<GenerationResult> out = new ArrayList<>(prompts.size());
            for (Future<List<GenerationResult>> f : futures) {
                out.addAll(f.get());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            control.cancel();
            throw new SonarLlmException("batch generation interrupted", e);
        } catch (ExecutionException e) {
            control.cancel();
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new SonarLlmException("batch generation failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private List<GenerationResult> runChunk(List<String> prompts, GenerationOptions options, RunControl control) {
        long t0 = System.nanoTime();
        List<List<Segment>> segments = new ArrayList<>(prompts.size());
        for (String p : prompts) {
            segments.add(segment(p, options, "prompt"));
        }
        return new GenerationRun(this, options, control).run(segments,
                Collections.nCopies(prompts.size(), GenerationListener.NONE), System.nanoTime() - t0, t0);
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

    /** The encoding of {@value GenerationOptions#BEGIN_TEXT} in English, computed once. */
    float[] beginEmbedding() {
        float[] b = beginEmbedding;
        if (b == null) {
            b = encoder.encode(GenerationOptions.BEGIN_TEXT, Language.ENGLISH);
            beginEmbedding = b;
        }
        return b;
    }

    /**
     * Builder for {@link SonarLlmGenerator}.
     *
     * <pre>{@code
     * SonarLlmGenerator.builder().segmenter(seg).encoder(enc).conceptLm(lm).decoder(dec)
     *         .eosEmbedding(eosVector).batchOptions(BatchOptions.of(8, 2)).build();
     * }</pre>
     */
    public static final class Builder {
        private Function<Language, SentenceSegmenter> segmenters;
        private ConceptEncoder encoder;
        private ConceptLM conceptLm;
        private ConceptDecoder decoder;
        private float[] eosEmbedding;
        private GenerationOptions defaults = GenerationOptions.defaults();
        private BatchOptions batching = BatchOptions.defaults();

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

        /**
         * @param o the options of the calls that take none (default {@link GenerationOptions#defaults()};
         *     a model's: {@link ModelDefaults})
         * @return this
         */
        public Builder defaultOptions(GenerationOptions o) {
            this.defaults = Objects.requireNonNull(o, "defaultOptions");
            return this;
        }

        /** @param b how {@link #generateAll} batches prompts (default {@link BatchOptions#defaults()}) @return this */
        public Builder batchOptions(BatchOptions b) {
            this.batching = Objects.requireNonNull(b, "batchOptions");
            return this;
        }

        /**
         * @param n concurrent batches of {@link #generateAll} (keeps the batch size)
         * @return this
         * @throws InvalidInputException outside 1..{@value BatchOptions#MAX_THREADS}
         */
        public Builder batchThreads(int n) {
            this.batching = new BatchOptions(batching.batchSize(), n);
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
