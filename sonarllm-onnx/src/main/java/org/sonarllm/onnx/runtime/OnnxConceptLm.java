package org.sonarllm.onnx.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.predict.ConceptLM;

/**
 * Opens a {@code concept-lm.onnx} (written by {@code ConceptLmConverter}), or a bundle's {@value
 * BundleManifest#CONCEPT_LM} component, as a {@link ConceptLM} on ONNX Runtime. Sessions keep the key/value cache as native tensors:
 * appending n vectors runs the graph on n positions only, and {@link
 * org.sonarllm.predict.ConceptLMSession#fork()} copies the cache.
 *
 * <p>Context limit: {@code min(max_position_embeddings, }{@value #DEFAULT_CONTEXT_LIMIT}{@code )}
 * sentences unless given explicitly (a bundle gives it as the component property {@value
 * BundleManifest#CONTEXT_LIMIT}). The released configs declare 131072 positions (inherited from
 * Llama 3), far beyond the documents SONAR-LLM was trained on; 4096 sentences keeps the cache of a
 * 600M model around 0.5 GB.
 *
 * <pre>{@code
 * try (ConceptLM lm = OnnxConceptLm.open(Path.of("bundle/concept-lm.onnx"))) {
 *     List<float[]> predictions = lm.predictAll(vectors);
 * }
 * }</pre>
 */
public final class OnnxConceptLm {
    /** Default cap on the context limit, in sentences. */
    public static final int DEFAULT_CONTEXT_LIMIT = 4096;

    private OnnxConceptLm() {}

    /**
     * @param model the {@code .onnx} file
     * @return the concept LM with the default context limit and session options
     * @throws ModelFormatException if the file is missing or not a concept-LM graph
     */
    public static ConceptLM open(Path model) {
        return open(model, 0, RuntimeOptions.defaults());
    }

    /**
     * @param model the {@code .onnx} file
     * @param contextLimit most positions per session; 0 for the default
     * @param options runtime options (execution provider with CPU fallback, threads)
     * @return the concept LM; thread-safe, close it when done
     * @throws ModelFormatException if the file is missing or not a concept-LM graph
     */
    public static ConceptLM open(Path model, int contextLimit, RuntimeOptions options) {
        check(model, contextLimit);
        return wrap(model, OrtEnvironment.getEnvironment(), OrtSessions.create(model, options), contextLimit);
    }

    /**
     * Opens the concept LM of a bundle's {@value BundleManifest#CONCEPT_LM} component, with its
     * context limit property when present, checked against the bundle's vector size.
     *
     * @param bundle a validated bundle with that component
     * @param options runtime options
     * @return the concept LM; close it
     * @throws ModelFormatException if the component is missing, its property is not an integer of at
     *     least 2, or the graph is broken or of another dimension
     */
    public static ConceptLM open(Bundle bundle, RuntimeOptions options) {
        BundleManifest.Component c = bundle.manifest().components().get(BundleManifest.CONCEPT_LM);
        if (c == null) {
            throw new ModelFormatException(bundle.dir() + ": expected a " + BundleManifest.CONCEPT_LM
                    + " component, found none (convert one with --concept-lm)");
        }
        Object limit = c.properties().get(BundleManifest.CONTEXT_LIMIT);
        int contextLimit = 0;
        if (limit != null) {
            if (!(limit instanceof Number n) || n.intValue() < 2 || n.doubleValue() != n.intValue()) {
                throw new ModelFormatException(bundle.dir() + ": expected concept_lm property "
                        + BundleManifest.CONTEXT_LIMIT + " to be an integer >= 2, found " + limit);
            }
            contextLimit = n.intValue();
        }
        ConceptLM lm = open(bundle.file(BundleManifest.CONCEPT_LM), contextLimit, options);
        int d = bundle.manifest().dimensions().model();
        if (lm.dimension() != d) {
            lm.close();
            throw new ModelFormatException(bundle.dir() + ": expected a concept LM over " + d
                    + "-dim vectors (the encoder's), found " + lm.dimension());
        }
        return lm;
    }

    private static void check(Path model, int contextLimit) {
        if (contextLimit < 0) {
            throw new InvalidInputException("context limit must be >= 0 (0 = default), got " + contextLimit);
        }
        if (!Files.isRegularFile(model)) {
            throw new ModelFormatException(model + ": concept LM file not found");
        }
    }

    private static ConceptLM wrap(Path model, OrtEnvironment env, OrtSession session, int contextLimit) {
        try {
            Map<String, String> meta = session.getMetadata().getCustomMetadata();
            if (!"concept_lm".equals(meta.get("sonarllm.component"))) {
                throw new ModelFormatException(model + ": expected metadata sonarllm.component=concept_lm, found "
                        + meta.get("sonarllm.component"));
            }
            int dim = metaInt(model, meta, "sonarllm.sonar_dim");
            int layers = metaInt(model, meta, "sonarllm.layers");
            int kvHeads = metaInt(model, meta, "sonarllm.kv_heads");
            int headDim = metaInt(model, meta, "sonarllm.head_dim");
            int maxPos = metaInt(model, meta, "sonarllm.max_positions");
            int limit = contextLimit > 0 ? contextLimit : Math.min(maxPos, DEFAULT_CONTEXT_LIMIT);
            return new OrtConceptLm(env, session, dim, layers, kvHeads, headDim, limit);
        } catch (OrtException | RuntimeException e) {
            try {
                session.close();
            } catch (OrtException ignored) {
                // already failing
            }
            if (e instanceof ModelFormatException m) {
                throw m;
            }
            throw new ModelFormatException(model + ": cannot read concept LM metadata: " + e.getMessage(), e);
        }
    }

    private static int metaInt(Path model, Map<String, String> meta, String key) {
        String v = meta.get(key);
        try {
            int n = Integer.parseInt(v);
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ModelFormatException(model + ": expected a positive integer in metadata " + key + ", found " + v);
        }
    }
}
