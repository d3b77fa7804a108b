package org.sonarllm.training.model;

import org.sonarllm.model.ConceptLMConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.ModelFormatException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.onnx.weights.SafeTensors;

/**
 * Initial parameter sets for {@link ConceptLMGraph}: random (seeded), loaded from a SONAR-LLM
 * safetensors checkpoint by key name, or the concept LM of a bundle ({@link #fromBundle}).
 *
 * <pre>{@code
 * Map<String, INDArray> p = ConceptLMWeights.fromSafeTensors(Path.of("sonar_llm/model.safetensors"), cfg, DataType.FLOAT);
 * }</pre>
 */
public final class ConceptLMWeights {
    private ConceptLMWeights() {}

    /**
     * Llama-style initialisation: linear weights N(0, std^2), biases 0, norm weights 1.
     *
     * @param cfg model config
     * @param seed RNG seed (same seed, same weights)
     * @param std standard deviation of linear weights (transformers uses 0.02)
     * @param dtype array type
     * @return parameters by name
     */
    public static Map<String, INDArray> random(ConceptLMConfig cfg, long seed, double std, DataType dtype) {
        Random rng = new Random(seed);
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : cfg.parameterShapes().entrySet()) {
            long n = 1;
            for (long s : e.getValue()) {
                n *= s;
            }
            double[] v = new double[(int) n];
            String name = e.getKey();
            boolean norm = name.endsWith("norm.weight") || name.endsWith("layernorm.weight");
            for (int i = 0; i < v.length; i++) {
                v[i] = norm ? 1.0 : name.endsWith(".bias") ? 0.0 : rng.nextGaussian() * std;
            }
            out.put(name, Nd4j.createFromArray(v).reshape(e.getValue()).castTo(dtype));
        }
        return out;
    }

    /**
     * @param file model.safetensors with SONAR-LLM key names (extra keys are ignored; only the parameters
     *     are read, one at a time)
     * @param cfg expected config
     * @param dtype array type
     * @return parameters by name
     */
    public static Map<String, INDArray> fromSafeTensors(Path file, ConceptLMConfig cfg, DataType dtype) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(file)) {
            for (Map.Entry<String, long[]> e : cfg.parameterShapes().entrySet()) {
                if (!st.contains(e.getKey())) {
                    throw new ModelFormatException("expected tensor " + e.getKey() + " in " + file + ", found none");
                }
                if (!java.util.Arrays.equals(st.shape(e.getKey()), e.getValue())) {
                    throw new ModelFormatException("expected " + e.getKey() + " of shape "
                            + java.util.Arrays.toString(e.getValue()) + ", found "
                            + java.util.Arrays.toString(st.shape(e.getKey())) + " in " + file);
                }
                out.put(e.getKey(), Nd4j.createFromArray(st.floats(e.getKey())).reshape(e.getValue()).castTo(dtype));
            }
        }
        return out;
    }

    /**
     * A concept LM's shape and parameters.
     *
     * @param config the shape
     * @param parameters parameters by SONAR-LLM key
     */
    public record Loaded(ConceptLMConfig config, Map<String, INDArray> parameters) {}

    /**
     * The concept LM a bundle runs, for training from it ({@code train --init-from}) or evaluating it
     * ({@code eval-loss}): in a converted bundle (format 2) the {@value BundleManifest#CONCEPT_LM}
     * component's weights file ({@code concept-lm.safetensors}) with its {@value
     * BundleManifest#CONCEPT_LM_CONFIG} property, the same weights the runtime's graph references; in a
     * bundle a format-1 {@code train} exported, its {@value #TRAIN_EXPORT_CHECKPOINT} folder.
     *
     * <pre>{@code
     * ConceptLMWeights.Loaded lm = ConceptLMWeights.fromBundle(Path.of("sonar-bundle"), DataType.FLOAT);
     * }</pre>
     *
     * @param bundleDir the bundle
     * @param dtype array type
     * @return the config and parameters
     * @throws ModelFormatException if the bundle has no concept LM or its weights do not match its config
     */
    public static Loaded fromBundle(Path bundleDir, DataType dtype) {
        BundleManifest m = Bundle.open(bundleDir, false).manifest();
        BundleManifest.Component c = m.components().get(BundleManifest.CONCEPT_LM);
        Object cfgJson = c == null ? null : c.properties().get(BundleManifest.CONCEPT_LM_CONFIG);
        String weights = c == null ? null : c.files().stream().map(BundleManifest.FileEntry::path)
                .filter(p -> p.endsWith(".safetensors")).findFirst().orElse(null);
        if (cfgJson != null && weights != null) {
            ConceptLMConfig cfg;
            try {
                cfg = ConceptLMConfig.parse(new ObjectMapper().valueToTree(cfgJson));
            } catch (ModelFormatException e) {
                throw new ModelFormatException(bundleDir + ": concept_lm property " + BundleManifest.CONCEPT_LM_CONFIG + ": "
                        + e.getMessage(), e);
            }
            return new Loaded(cfg, fromSafeTensors(bundleDir.resolve(weights), cfg, dtype));
        }
        if (m.components().containsKey(TRAIN_EXPORT_CHECKPOINT)) {
            Path dir = bundleDir.resolve(TRAIN_EXPORT_CHECKPOINT);
            ConceptLMConfig cfg = ConceptLMConfig.read(dir.resolve("config.json"));
            return new Loaded(cfg, fromSafeTensors(dir.resolve("model.safetensors"), cfg, dtype));
        }
        throw new ModelFormatException(bundleDir + ": expected a concept LM with its weights (" + BundleManifest.CONCEPT_LM
                + " with a .safetensors file and a '" + BundleManifest.CONCEPT_LM_CONFIG + "' property, or "
                + TRAIN_EXPORT_CHECKPOINT + "/), found " + (c == null ? "no concept LM (convert one with --concept-lm)"
                : "a format-1 concept LM graph without its weights file"));
    }

    /** The folder where format-1 {@code train} exports kept the trained weights (read by {@link #fromBundle}). */
    public static final String TRAIN_EXPORT_CHECKPOINT = "concept_lm_checkpoint";
}
