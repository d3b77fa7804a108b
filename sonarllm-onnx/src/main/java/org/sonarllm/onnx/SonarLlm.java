package org.sonarllm.onnx;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.ModelFormatException;
import org.sonarllm.SonarLlmException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.bundle.DefaultBundle;
import org.sonarllm.decode.Lexicon;
import org.sonarllm.decode.ConceptDecoder;
import org.sonarllm.encode.ConceptEncoder;
import org.sonarllm.generate.BatchOptions;
import org.sonarllm.generate.GenerationOptions;
import org.sonarllm.generate.Generator;
import org.sonarllm.generate.ModelDefaults;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.models.SonarModel;
import org.sonarllm.onnx.runtime.OnnxConceptDecoder;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import org.sonarllm.onnx.runtime.OnnxConceptLm;
import org.sonarllm.onnx.runtime.RuntimeOptions;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * The ONNX Runtime {@link SonarModel}: loads a model bundle (see {@code docs/model-format.md}) and
 * exposes its tokenizer, encoder, decoder and (when the bundle has one) concept LM and {@link
 * #generator()}. Loading validates the manifest, every file's size and sha256, and each graph's
 * input/output names and shapes. Applications that need no ONNX-specific option load it through
 * {@link org.sonarllm.models.SonarModels} (this module registers the provider); {@link
 * #load(Path, RuntimeOptions)} chooses the execution provider, threads and batch sizes, and {@link
 * #onnxEncoder()} / {@link #onnxDecoder()} reach the runtime's extras (token-id input, teacher-forced
 * logits).
 *
 * <p>Thread-safe; owns native resources: close it (idempotent), which closes all components.
 *
 * <pre>{@code
 * try (SonarLlm llm = SonarLlm.load(Path.of("sonar-bundle"),
 *         RuntimeOptions.builder().provider(RuntimeOptions.Provider.AUTO).build())) {
 *     float[] v = llm.encoder().encode("Hello world.", Language.ENGLISH);
 *     String fr = llm.decoder().decode(v, Language.of("fra_Latn"), DecodingOptions.beam(5)).text();
 * }
 * }</pre>
 */
public final class SonarLlm implements SonarModel {
    private static final Logger LOG = LoggerFactory.getLogger(SonarLlm.class);

    private final Bundle bundle;
    private final SonarTokenizer tokenizer;
    private final OnnxConceptEncoder encoder;
    private final OnnxConceptDecoder decoder;
    private ConceptLM conceptLm;
    private final Lexicon lexicon;
    private final RuntimeOptions options;
    private volatile Generator generator;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private boolean closed;

    private SonarLlm(Bundle bundle, RuntimeOptions given) {
        this.bundle = bundle;
        SonarConfig d = bundle.manifest().dimensions();
        RuntimeOptions o = given.resolvedFor(d.model()); // automatic intra-op threads: one for small models
        long t0 = System.nanoTime();
        // the components' sessions are independent: create them side by side (session creation is mostly
        // single-threaded parsing and weight packing), then keep them in a fixed order for closing
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(3,
                Runtime.getRuntime().availableProcessors())), r -> {
                    Thread t = new Thread(r, "sonarllm-load");
                    t.setDaemon(true);
                    return t;
                });
        Future<SonarTokenizer> tok = pool.submit(bundle::openTokenizer);
        this.options = o;
        Future<ConceptLM> lm = bundle.has(BundleManifest.CONCEPT_LM) && !o.lazySessions()
                ? pool.submit(() -> OnnxConceptLm.open(bundle, o)) : null;
        Future<OnnxConceptEncoder> enc = pool.submit(() -> OnnxConceptEncoder.open(bundle, tok.get(), o));
        Future<OnnxConceptDecoder> dec = pool.submit(() -> OnnxConceptDecoder.open(bundle, tok.get(), o));
        pool.shutdown();
        RuntimeException failure = null;
        SonarTokenizer t = null;
        OnnxConceptEncoder e = null;
        OnnxConceptDecoder dc = null;
        ConceptLM c = null;
        try {
            t = own(await(tok));
        } catch (RuntimeException x) {
            failure = x;
        }
        try {
            e = own(await(enc));
        } catch (RuntimeException x) {
            failure = first(failure, x);
        }
        try {
            dc = own(await(dec));
        } catch (RuntimeException x) {
            failure = first(failure, x);
        }
        try {
            c = lm == null ? null : own(await(lm));
        } catch (RuntimeException x) {
            failure = first(failure, x);
        }
        Lexicon words = null;
        if (failure == null && bundle.has(BundleManifest.LEXICON)) {
            try {
                words = Lexicon.read(bundle.file(BundleManifest.LEXICON));
            } catch (RuntimeException x) {
                failure = x;
            }
        }
        lexicon = words;
        tokenizer = t;
        encoder = e;
        decoder = dc;
        conceptLm = c;
        if (failure == null && bundle.has(BundleManifest.CONCEPT_LM)) {
            try { // the bundle's generation defaults are checked at load, not at the first generate
                ModelDefaults.apply(GenerationOptions.defaults(),
                        bundle.manifest().components().get(BundleManifest.CONCEPT_LM).properties(), "bundle manifest");
            } catch (RuntimeException x) {
                failure = x;
            }
        }
        if (failure != null) {
            close();
            throw failure;
        }
        LOG.debug("loaded bundle {} (d={}, vocab={}) in {} ms", bundle.dir(), d.model(), d.vocab(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    private static RuntimeException first(RuntimeException a, RuntimeException b) {
        if (a == null) {
            return b;
        }
        if (a != b && a.getCause() != b) {
            a.addSuppressed(b);
        }
        return a;
    }

    /** @return the task's result; its exception unwrapped (a failed tokenizer fails the components waiting for it) */
    private static <T> T await(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SonarLlmException("interrupted while loading the bundle", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            while (c instanceof ExecutionException && c.getCause() != null) {
                c = c.getCause();
            }
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new SonarLlmException("loading the bundle failed: " + c, c);
        }
    }

    private <T extends AutoCloseable> T own(T resource) {
        owned.add(resource);
        return resource;
    }

    /**
     * Loads a bundle with {@link RuntimeOptions#defaults()}.
     *
     * @param bundleDir the bundle directory
     * @return the loaded model; close it
     * @throws ModelFormatException if the bundle is missing, corrupt or inconsistent
     */
    public static SonarLlm load(Path bundleDir) {
        return load(bundleDir, RuntimeOptions.defaults());
    }

    /**
     * @param bundleDir the bundle directory
     * @param options runtime options
     * @return the loaded model; close it
     * @throws ModelFormatException if the bundle is missing, corrupt or inconsistent
     */
    public static SonarLlm load(Path bundleDir, RuntimeOptions options) {
        return new SonarLlm(Bundle.open(bundleDir, options.verifyHashes()), options);
    }

    /**
     * Loads the default bundle ({@link DefaultBundle#require()}: {@code SONARLLM_MODEL}, then the bundle of
     * {@value DefaultBundle#ARTIFACT} on the class path) with {@link RuntimeOptions#defaults()}.
     *
     * @return the loaded model; close it
     * @throws ModelFormatException if there is no default bundle (the message names the artifact to
     *     add), or it is invalid
     */
    public static SonarLlm loadDefault() {
        return load(DefaultBundle.require());
    }

    @Override
    public ConceptEncoder encoder() {
        return encoder;
    }

    @Override
    public ConceptDecoder decoder() {
        return decoder;
    }

    /** @return the encoder as the ONNX Runtime class, for {@link OnnxConceptEncoder#encodeIds} */
    public OnnxConceptEncoder onnxEncoder() {
        return encoder;
    }

    /** @return the decoder as the ONNX Runtime class, for teacher-forced {@link OnnxConceptDecoder#logits} */
    public OnnxConceptDecoder onnxDecoder() {
        return decoder;
    }

    @Override
    public synchronized ConceptLM conceptLm() {
        if (!bundle.has(BundleManifest.CONCEPT_LM)) {
            throw new ModelFormatException(bundle.dir() + ": expected a " + BundleManifest.CONCEPT_LM
                    + " component for generation, found none (convert one with --concept-lm)");
        }
        if (closed) {
            throw new IllegalStateException("model is closed");
        }
        if (conceptLm == null) {
            // RuntimeOptions.lazySessions: created on first use
            conceptLm = own(OnnxConceptLm.open(bundle, options));
        }
        return conceptLm;
    }

    @Override
    public boolean hasConceptLm() {
        return bundle.has(BundleManifest.CONCEPT_LM);
    }

    /**
     * The generator over this bundle, created on first use: {@link BatchOptions#defaults()}, and the
     * bundle's default options ({@link org.sonarllm.generate.ModelDefaults}, validated at load).
     *
     * @return the generator
     * @throws ModelFormatException if the bundle has no concept LM
     */
    @Override
    public Generator generator() {
        conceptLm();
        Generator g = generator;
        if (g == null) {
            synchronized (this) {
                if (generator == null) {
                    generator = generator(BatchOptions.defaults());
                }
                g = generator;
            }
        }
        return g;
    }

    /**
     * @param batching batch size and threads of {@link Generator#generateAll}
     * @return a new generator with that batching and the bundle's default options
     * @throws ModelFormatException if the bundle has no concept LM
     */
    @Override
    public Generator generator(BatchOptions batching) {
        return SonarModel.super.generator(batching);
    }

    /** @return the bundle's {@value BundleManifest#LEXICON} component, read at load */
    @Override
    public Optional<Lexicon> lexicon() {
        return Optional.ofNullable(lexicon);
    }

    @Override
    public SonarTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public BundleManifest manifest() {
        return bundle.manifest();
    }

    /** Closes every component, in reverse order. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                LOG.warn("error closing {}: {}", owned.get(i).getClass().getSimpleName(), e.getMessage());
            }
        }
    }
}
