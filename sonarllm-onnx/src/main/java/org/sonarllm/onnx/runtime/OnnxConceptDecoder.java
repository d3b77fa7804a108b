package org.sonarllm.onnx.runtime;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.sonarllm.CancellationToken;
import org.sonarllm.InvalidInputException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.decode.ConceptDecoder;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.decode.DecodingStrategy;
import org.sonarllm.lang.Language;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * The SONAR decoder on ONNX Runtime: greedy, beam (fairseq2 scoring) and sampling search over
 * batches of embeddings, with a self-attention KV cache and the cross-attention computed once per
 * sentence. Embeddings are decoded together in chunks of {@link RuntimeOptions#decoderBatchSize()}.
 * Beyond {@link ConceptDecoder} it gives teacher-forced logits ({@link #logits}) and decodes without
 * the KV cache (the benchmarks' baseline).
 *
 * <p>Thread-safe (each call has its own search state; sessions accept concurrent runs); {@link
 * #close()} is idempotent and waits for running calls.
 *
 * <pre>{@code
 * try (SonarLlm llm = SonarLlm.load(bundle)) {
 *     float[] v = llm.encoder().encode("The cat sleeps.", Language.ENGLISH);
 *     DecodedSentence fr = llm.decoder().decode(v, Language.of("fra_Latn"), DecodingOptions.beam(5));
 *     float[][][] logits = llm.onnxDecoder().logits(List.of(v), List.of(new int[] {2, langId}));
 * }
 * }</pre>
 */
public final class OnnxConceptDecoder implements ConceptDecoder {
    private final Lazy<DecoderRunner> runner;
    private final SonarTokenizer tokenizer;
    private final LanguageCheck languages;
    private final int batchSize;
    private final int maxPositions;
    private final int dim;
    private final int vocab;
    private final Guard guard = new Guard("decoder");
    private volatile String[] pieceTexts;

    private OnnxConceptDecoder(Path decoderGraph, Path crossGraph, RuntimeOptions o, SonarTokenizer tokenizer,
            LanguageCheck languages, int dim, int layers, int heads, int vocab, int maxPositions) {
        this.runner = new Lazy<>(() -> {
            OrtSession d = OrtSessions.create(decoderGraph, o);
            OrtSession c = null;
            try {
                c = OrtSessions.create(crossGraph, o);
                return new DecoderRunner(d, c, decoderGraph.getFileName().toString(),
                        crossGraph.getFileName().toString(), layers, heads, dim, vocab);
            } catch (RuntimeException e) {
                closeQuietly(d);
                closeQuietly(c);
                throw e;
            }
        });
        if (!o.lazySessions()) {
            runner.get();
        }
        this.tokenizer = tokenizer;
        this.languages = languages;
        this.batchSize = o.decoderBatchSize();
        this.maxPositions = maxPositions;
        this.dim = dim;
        this.vocab = vocab;
    }

    /**
     * Opens a bundle's decoder sharing a tokenizer the caller owns (and closes after this decoder).
     *
     * @param bundle a validated bundle
     * @param tokenizer the bundle's tokenizer ({@link Bundle#openTokenizer()})
     * @param options runtime options
     * @return the decoder; close it
     * @throws org.sonarllm.ModelFormatException if a graph is missing or has other inputs/outputs
     */
    public static OnnxConceptDecoder open(Bundle bundle, SonarTokenizer tokenizer, RuntimeOptions options) {
        BundleManifest m = bundle.manifest();
        SonarConfig d = m.dimensions();
        return new OnnxConceptDecoder(bundle.file(BundleManifest.DECODER), bundle.file(BundleManifest.DECODER_CROSS),
                options, tokenizer, new LanguageCheck(m.languages().codes()), d.model(), d.decoderLayers(),
                d.decoderHeads(), d.vocab(), d.maxPositions());
    }

    private static void closeQuietly(OrtSession s) {
        if (s != null) {
            try {
                s.close();
            } catch (OrtException ignored) {
                // best effort
            }
        }
    }

    @Override
    public int dimension() {
        return dim;
    }

    @Override
    public List<DecodedSentence> decode(List<float[]> embeddings, Language language, DecodingOptions options) {
        return decode(embeddings, language, options, true, CancellationToken.NONE);
    }

    /**
     * Checks {@code cancel} before every decoder step (between two tokens) and throws {@link
     * org.sonarllm.CancelledException} once it is set; the step's native tensors and the cache are released
     * and the decoder stays usable.
     */
    @Override
    public List<DecodedSentence> decode(List<float[]> embeddings, Language language, DecodingOptions options,
            CancellationToken cancel) {
        return decode(embeddings, language, options, true, cancel);
    }

    /**
     * Like {@link #decode(List, Language, DecodingOptions)}, optionally without the KV cache (every
     * step re-runs the whole sequence; same results, for benchmarking).
     *
     * @param embeddings vectors @param language output language @param options search
     * @param kvCache whether to use the KV cache
     * @return one result per vector
     */
    public List<DecodedSentence> decode(List<float[]> embeddings, Language language, DecodingOptions options,
            boolean kvCache) {
        return decode(embeddings, language, options, kvCache, CancellationToken.NONE);
    }

    private List<DecodedSentence> decode(List<float[]> embeddings, Language language, DecodingOptions options,
            boolean kvCache, CancellationToken cancel) {
        java.util.Objects.requireNonNull(cancel, "cancel");
        int lang = validate(embeddings, language, options);
        WordFilter words = options.lexicon() == null ? null : new WordFilter(options.lexicon(), pieceTexts());
        return guard.run(() -> {
            DecoderRunner runner = this.runner.get();
            List<DecodedSentence> out = new ArrayList<>(embeddings.size());
            for (int start = 0; start < embeddings.size(); start += batchSize) {
                List<float[]> chunk = embeddings.subList(start, Math.min(embeddings.size(), start + batchSize));
                float[] crossAll = runner.crossTerms(chunk);
                if (options.strategy() instanceof DecodingStrategy.Beam b) {
                    try (Stepper st = Stepper.checking(runner.stepper(crossAll, chunk.size(), b.size(), options.maxTokens(), kvCache),
                            cancel)) {
                        for (List<BeamSearch.Hypothesis> hs : BeamSearch.run(st, chunk.size(), lang,
                                options.maxTokens(), b.size(), b.lengthPenalty(), words)) {
                            BeamSearch.Hypothesis best = hs.get(0);
                            out.add(new DecodedSentence(tokenizer.decode(best.ids()), best.ids(), best.score()));
                        }
                    }
                } else {
                    try (Stepper st = Stepper.checking(runner.stepper(crossAll, chunk.size(), 1, options.maxTokens(), kvCache),
                            cancel)) {
                        for (TokenSearch.Result r : TokenSearch.run(st, chunk.size(), lang, options.maxTokens(),
                                options.strategy(), words)) {
                            out.add(new DecodedSentence(tokenizer.decode(r.ids()), r.ids(), r.score()));
                        }
                    }
                }
            }
            return out;
        });
    }

    /** @return per decoder output id, the text it writes or null (computed once, for lexicons) */
    private String[] pieceTexts() {
        String[] t = pieceTexts;
        if (t == null) {
            t = WordFilter.texts(tokenizer, vocab);
            pieceTexts = t;
        }
        return t;
    }

    /** @return the pool of decoder-cache memory (tests) */
    CacheBuffers cacheBuffers() {
        return runner.get().buffers;
    }

    /**
     * Beam search returning every finished hypothesis (best first) for each vector: an n-best list.
     *
     * @param embeddings vectors @param language output language @param beam beam size
     * @param lengthPenalty length normalisation exponent (1 for SONAR) @param maxTokens token limit
     * @return per vector, its hypotheses best first
     */
    List<List<DecodedSentence>> decodeNBest(List<float[]> embeddings, Language language, int beam,
            double lengthPenalty, int maxTokens) {
        DecodingOptions options = new DecodingOptions(new DecodingStrategy.Beam(beam, lengthPenalty), maxTokens);
        int lang = validate(embeddings, language, options);
        return guard.run(() -> {
            DecoderRunner runner = this.runner.get();
            List<List<DecodedSentence>> out = new ArrayList<>();
            for (int start = 0; start < embeddings.size(); start += batchSize) {
                List<float[]> chunk = embeddings.subList(start, Math.min(embeddings.size(), start + batchSize));
                try (Stepper st = runner.stepper(runner.crossTerms(chunk), chunk.size(), beam, maxTokens, true)) {
                    for (List<BeamSearch.Hypothesis> hs : BeamSearch.run(st, chunk.size(), lang, maxTokens, beam,
                            lengthPenalty)) {
                        List<DecodedSentence> l = new ArrayList<>();
                        for (BeamSearch.Hypothesis h : hs) {
                            l.add(new DecodedSentence(tokenizer.decode(h.ids()), h.ids(), h.score()));
                        }
                        out.add(l);
                    }
                }
            }
            return out;
        });
    }

    /**
     * Teacher forcing: logits for every position of given decoder inputs (no padding; all rows the
     * same length), to check a trained or exported decoder against this runtime.
     *
     * @param embeddings one vector per row @param decoderInputIds per row, {@code [</s>, lang] + pieces}
     * @return {@code [rows][positions][vocab]} logits
     */
    public float[][][] logits(List<float[]> embeddings, List<int[]> decoderInputIds) {
        checkEmbeddings(embeddings);
        if (decoderInputIds.size() != embeddings.size()) {
            throw new InvalidInputException("expected " + embeddings.size() + " id rows, found " + decoderInputIds.size());
        }
        if (embeddings.isEmpty()) {
            return new float[0][][];
        }
        int len = decoderInputIds.get(0).length;
        long[] ids = new long[embeddings.size() * len];
        for (int i = 0; i < embeddings.size(); i++) {
            int[] row = decoderInputIds.get(i);
            if (row.length != len || len == 0 || len > maxPositions) {
                throw new InvalidInputException("expected id rows of one length in [1, " + maxPositions
                        + "], found lengths " + len + " and " + row.length);
            }
            for (int t = 0; t < len; t++) {
                if (row[t] < 0 || row[t] >= vocab) {
                    throw new InvalidInputException("expected token ids in [0, " + vocab + "), found " + row[t]);
                }
                ids[i * len + t] = row[t];
            }
        }
        return guard.run(() -> {
            DecoderRunner runner = this.runner.get();
            float[] all = runner.teacherForcing(ids, embeddings.size(), len, runner.crossTerms(embeddings));
            float[][][] out = new float[embeddings.size()][len][];
            for (int i = 0; i < out.length; i++) {
                for (int t = 0; t < len; t++) {
                    int off = (i * len + t) * vocab;
                    out[i][t] = java.util.Arrays.copyOfRange(all, off, off + vocab);
                }
            }
            return out;
        });
    }

    private int validate(List<float[]> embeddings, Language language, DecodingOptions options) {
        if (options == null) {
            throw new InvalidInputException("decoding options must not be null");
        }
        checkEmbeddings(embeddings);
        languages.require(language);
        return tokenizer.languageId(language);
    }

    private void checkEmbeddings(List<float[]> embeddings) {
        if (embeddings == null) {
            throw new InvalidInputException("embeddings must not be null");
        }
        for (int i = 0; i < embeddings.size(); i++) {
            float[] e = embeddings.get(i);
            if (e == null) {
                throw new InvalidInputException("embedding " + i + " is null");
            }
            if (e.length != dim) {
                throw new InvalidInputException("embedding " + i + ": expected dimension " + dim + ", found "
                        + e.length);
            }
            for (int j = 0; j < e.length; j++) {
                if (!Float.isFinite(e[j])) {
                    throw new InvalidInputException("embedding " + i + ": expected finite values, found " + e[j]
                            + " at index " + j);
                }
            }
        }
    }

    @Override
    public void close() {
        if (guard.close()) {
            DecoderRunner r = runner.ifCreated();
            if (r != null) {
                r.close();
            }
        }
    }
}
