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
import org.sonarllm.training.internal.SafeTensorsFile;

/**
 * Initial parameter sets for {@link ConceptLMGraph}: random (seeded) or loaded from a SONAR-LLM
 * safetensors checkpoint by key name.
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
     * @param file model.safetensors with SONAR-LLM key names (extra keys are ignored)
     * @param cfg expected config
     * @param dtype array type
     * @return parameters by name
     */
    public static Map<String, INDArray> fromSafeTensors(Path file, ConceptLMConfig cfg, DataType dtype) {
        Map<String, SafeTensorsFile.Tensor> all = SafeTensorsFile.read(file);
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : cfg.parameterShapes().entrySet()) {
            SafeTensorsFile.Tensor t = all.get(e.getKey());
            if (t == null) {
                throw new ModelFormatException("expected tensor " + e.getKey() + " in " + file + ", found none");
            }
            if (!java.util.Arrays.equals(t.shape(), e.getValue())) {
                throw new ModelFormatException("expected " + e.getKey() + " of shape " + java.util.Arrays.toString(e.getValue())
                        + ", found " + java.util.Arrays.toString(t.shape()) + " in " + file);
            }
            out.put(e.getKey(), Nd4j.createFromArray(t.data()).reshape(e.getValue()).castTo(dtype));
        }
        return out;
    }
}
