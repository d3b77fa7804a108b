package org.sonarllm.onnx;

import org.sonarllm.model.SonarConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.ModelFormatException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.generate.Generator;
import org.sonarllm.generate.SonarLlmGenerator;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * Entry point: loads a model bundle (see {@code docs/model-format.md}) and exposes its tokenizer,
 * encoder, decoder and (when the bundle has one) concept LM and {@link #generator()} on ONNX Runtime. Loading validates the manifest, every file's size and sha256,
 * and each graph's input/output names and shapes.
 *
 * <p>Thread-safe; owns native resources: close it (idempotent), which closes all components.
 *
 * <pre>{@code
 * try (SonarLlm llm = SonarLlm.load(Path.of("sonar-bundle"))) {
 *     float[] v = llm.encoder().encode("Hello world.", Language.ENGLISH);
 *     String fr = llm.decoder().decode(v, Language.of("fra_Latn"), DecodingOptions.beam(5)).text();
 * }
 * }</pre>
 */
public final class SonarLlm implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SonarLlm.class);

    private final Bundle bundle;
    private final RuntimeOptions options;
    private final SonarTokenizer tokenizer;
    private final OnnxConceptEncoder encoder;
    private final OnnxConceptDecoder decoder;
    private final ConceptLM conceptLm;
    private volatile Generator generator;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private boolean closed;

    private SonarLlm(Bundle bundle, RuntimeOptions o) {
        this.bundle = bundle;
        this.options = o;
        BundleManifest m = bundle.manifest();
        SonarConfig d = m.dimensions();
        try {
            // Truncate (with the tokenizer's logged warning) to what the encoder's positions allow, so that a
            // long generated sentence is re-encoded instead of rejected.
            tokenizer = SonarTokenizer.load(bundle.componentDir(BundleManifest.TOKENIZER),
                    Math.min(SonarTokenizer.DEFAULT_MAX_LENGTH, d.maxPositions()));
            owned.add(tokenizer);
            int langId0 = tokenizer.pieceCount() + 1;
            if (m.languages().firstId() != langId0) {
                throw new ModelFormatException(bundle.dir() + ": manifest expects the first language id "
                        + m.languages().firstId() + ", tokenizer gives " + langId0);
            }
            if (tokenizer.vocabSize() > d.vocab()) {
                throw new ModelFormatException(bundle.dir() + ": expected a tokenizer of at most " + d.vocab()
                        + " ids (model vocabulary), found " + tokenizer.vocabSize());
            }
            LanguageCheck langs = new LanguageCheck(m.languages().codes());
            encoder = new OnnxConceptEncoder(bundle.file(BundleManifest.ENCODER), o, tokenizer, langs, d.model(),
                    d.maxPositions());
            owned.add(encoder);
            decoder = new OnnxConceptDecoder(bundle.file(BundleManifest.DECODER), bundle.file(BundleManifest.DECODER_CROSS),
                    o, tokenizer, langs, d.model(), d.decoderLayers(), d.decoderHeads(), d.vocab(), d.maxPositions());
            owned.add(decoder);
            conceptLm = bundle.has(BundleManifest.CONCEPT_LM) ? ConceptLmComponent.open(bundle, o) : null;
            if (conceptLm != null) {
                owned.add(conceptLm);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        LOG.debug("loaded bundle {} (d={}, vocab={})", bundle.dir(), d.model(), d.vocab());
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
     * Loads the default bundle ({@link DefaultBundle#locate()}: {@code SONARLLM_MODEL}, then a bundle
     * embedded on the class path).
     *
     * @return the loaded model; close it
     * @throws ModelFormatException if no default bundle is configured, or it is invalid
     */
    public static SonarLlm loadDefault() {
        return load(DefaultBundle.locate().orElseThrow(() -> new ModelFormatException(
                "no default model: set " + DefaultBundle.ENV + " to a bundle directory or put one on the class path under "
                        + DefaultBundle.RESOURCE)));
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

    /** @return the encoder */
    public OnnxConceptEncoder encoder() {
        return encoder;
    }

    /** @return the decoder */
    public OnnxConceptDecoder decoder() {
        return decoder;
    }

    /**
     * @return the concept LM of the bundle's {@code concept_lm} component
     * @throws ModelFormatException if the bundle has none (add one with {@code sonarllm convert
     *     --concept-lm DIR})
     */
    public ConceptLM conceptLm() {
        if (conceptLm == null) {
            throw new ModelFormatException(bundle.dir() + ": expected a " + BundleManifest.CONCEPT_LM
                    + " component for generation, found none (convert one with --concept-lm)");
        }
        return conceptLm;
    }

    /** @return whether the bundle has a concept LM, i.e. {@link #generator()} works */
    public boolean hasConceptLm() {
        return conceptLm != null;
    }

    /**
     * The SONAR-LLM generation loop over this bundle's segmenters, encoder, concept LM and decoder,
     * with the manifest's end-of-sequence vector. Thread-safe; created once.
     *
     * @return the generator
     * @throws ModelFormatException if the bundle has no concept LM
     */
    public Generator generator() {
        Generator g = generator;
        if (g == null) {
            synchronized (this) {
                if (generator == null) {
                    float[] eos = manifest().eosEmbedding();
                    generator = SonarLlmGenerator.builder().segmenter(SentenceSegmenters::forLanguage).encoder(encoder)
                            .conceptLm(conceptLm()).decoder(decoder).eosEmbedding(eos).build();
                }
                g = generator;
            }
        }
        return g;
    }

    /** @return the tokenizer */
    public SonarTokenizer tokenizer() {
        return tokenizer;
    }

    /** @return the manifest */
    public BundleManifest manifest() {
        return bundle.manifest();
    }

    /** @return the validated bundle */
    public Bundle bundle() {
        return bundle;
    }

    /** @return the options it was loaded with */
    public RuntimeOptions options() {
        return options;
    }

    /**
     * Registers a resource to close with this object (used by components added on top, such as the
     * concept LM).
     *
     * @param resource closed in reverse registration order by {@link #close()}
     */
    synchronized void own(AutoCloseable resource) {
        owned.add(resource);
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
