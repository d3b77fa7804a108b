package org.sonarllm.training.sonar;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.InvalidInputException;
import org.sonarllm.model.SonarConfig;

/**
 * A trained space with more decoder layers that computes the same function: the added layers go on top of
 * the trained ones (before the final LayerNorm) and start as the identity, their residual branches'
 * output projections ({@code self_attn.out_proj}, {@code encoder_attn.out_proj}, {@code fc2}) zero and
 * their other weights drawn as {@link AutoencoderGraph#initParameters} draws them. In a pre-LayerNorm layer
 * a zero branch output leaves the residual stream unchanged, so the grown decoder's logits are the trained
 * one's until training moves the new projections away from zero (the zero-initialised residual branch of
 * progressive stacking): decoder capacity can be added to a space without training it again from scratch.
 *
 * <pre>{@code
 * SonarConfig trained = M2M100Export.readConfig(dir);
 * Map<String, INDArray> p = DecoderGrowth.grow(M2M100Export.read(trained, dir), trained, trained.withDecoderLayers(6), 42);
 * }</pre>
 */
final class DecoderGrowth {
    private static final String[] BRANCH_OUTPUTS = {"self_attn.out_proj", "encoder_attn.out_proj", "fc2"};

    private DecoderGrowth() {}

    /**
     * @param trained the trained space's parameters (named as in {@link AutoencoderGraph})
     * @param from their shape
     * @param to the same shape with at least as many decoder layers
     * @param seed seed of the added layers' random weights
     * @return the parameters of shape {@code to}
     * @throws InvalidInputException if {@code to} differs from {@code from} in anything but more decoder layers
     */
    static Map<String, INDArray> grow(Map<String, INDArray> trained, SonarConfig from, SonarConfig to, long seed) {
        if (!to.withDecoderLayers(from.decoderLayers()).equals(from) || to.decoderLayers() < from.decoderLayers()) {
            throw new InvalidInputException("expected the shape " + from + " with at least as many decoder layers, found "
                    + to);
        }
        Map<String, INDArray> out = new LinkedHashMap<>();
        Map<String, INDArray> fresh = AutoencoderGraph.initParameters(to, seed);
        for (Map.Entry<String, INDArray> e : fresh.entrySet()) {
            String name = e.getKey();
            int layer = decoderLayer(name);
            if (layer < from.decoderLayers()) {
                out.put(name, trained.get(name));
            } else {
                boolean branchOutput = false;
                for (String b : BRANCH_OUTPUTS) {
                    branchOutput |= name.startsWith("dec.layers." + layer + "." + b + ".");
                }
                out.put(name, branchOutput ? e.getValue().mul(0) : e.getValue());
            }
        }
        return out;
    }

    /** @return the decoder layer a parameter belongs to, or -1 (encoder, embeddings, final LayerNorm) */
    private static int decoderLayer(String name) {
        if (!name.startsWith("dec.layers.")) {
            return -1;
        }
        int start = "dec.layers.".length();
        return Integer.parseInt(name.substring(start, name.indexOf('.', start)));
    }
}
