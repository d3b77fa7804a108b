package org.sonarllm.onnx;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.ModelFormatException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.bundle.DefaultBundle;
import org.sonarllm.decode.ConceptDecoder;
import org.sonarllm.encode.ConceptEncoder;
import org.sonarllm.generate.BatchOptions;
import org.sonarllm.generate.Generator;
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
    private final ConceptLM conceptLm;
    private final Generator generator;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private boolean closed;

    private SonarLlm(Bundle bundle, RuntimeOptions o) {
        this.bundle = bundle;
        SonarConfig d = bundle.manifest().dimensions();
        try {
            tokenizer = own(bundle.openTokenizer());
            encoder = own(OnnxConceptEncoder.open(bundle, tokenizer, o));
            decoder = own(OnnxConceptDecoder.open(bundle, tokenizer, o));
            conceptLm = bundle.has(BundleManifest.CONCEPT_LM) ? own(OnnxConceptLm.open(bundle, o)) : null;
            generator = conceptLm == null ? null : generator(BatchOptions.defaults());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        LOG.debug("loaded bundle {} (d={}, vocab={})", bundle.dir(), d.model(), d.vocab());
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
    public ConceptLM conceptLm() {
        if (conceptLm == null) {
            throw new ModelFormatException(bundle.dir() + ": expected a " + BundleManifest.CONCEPT_LM
                    + " component for generation, found none (convert one with --concept-lm)");
        }
        return conceptLm;
    }

    @Override
    public boolean hasConceptLm() {
        return conceptLm != null;
    }

    /**
     * The generator over this bundle, created at load: {@link BatchOptions#defaults()}, and the
     * bundle's default options ({@link org.sonarllm.generate.ModelDefaults}, validated at load).
     *
     * @return the generator
     * @throws ModelFormatException if the bundle has no concept LM
     */
    @Override
    public Generator generator() {
        conceptLm();
        return generator;
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
