package org.sonarllm.training.model;

import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.InvalidInputException;
import org.sonarllm.model.ConceptLMConfig;

/**
 * A concept LM ({@link ConceptLMGraph}) with its training objective: the loss of a {@link Batch} and the
 * gradients of every concept-LM parameter. Two objectives:
 * <ul>
 *   <li>{@link Objective#CE}: the predictions at the supervised positions (picked by index) are decoded
 *   by the frozen {@link ImportedSonarDecoder} with teacher forcing; loss = mean negative
 *   log-probability of the label tokens (the {@link VocabularyHead}); its gradient w.r.t. the
 *   predictions is back-propagated through the concept LM (SONAR-LLM's objective);</li>
 *   <li>{@link Objective#MSE}: mean squared error between the predictions and the next sentence
 *   embeddings over real positions (the MSE-LCM baseline), in one SameDiff graph.</li>
 * </ul>
 * A mixture: CE plus {@code mseWeight} x the same MSE (over the supervised rows, computed beside the
 * decoder), which keeps CE's predictions near the manifold of real sentence embeddings.
 * The loss is a mean over {@link Value#weight()} units (CE: target tokens; MSE: predictions x d, reported
 * as predictions), so batches combine by weight.
 *
 * <pre>{@code
 * ConceptLMLoss loss = ConceptLMLoss.create(Objective.CE, cfg, params, ImportedSonarDecoder.fromBundle(dir), DataType.FLOAT);
 * ConceptLMLoss.Step s = loss.step(batch);   // loss, weight, gradients by parameter name
 * }</pre>
 *
 * <p>Not thread-safe (SameDiff graphs are not): one instance per thread.
 */
public interface ConceptLMLoss {
    /** @return the concept LM (its live parameters are the ones trained) */
    ConceptLMGraph lm();

    /** @return the objective */
    Objective objective();

    /** @return the weight of the MSE term added to CE (0: pure CE; always 0 for MSE) */
    double mseWeight();

    /** @return the array type of the concept LM */
    DataType dtype();

    /**
     * @param batch a batch
     * @return the loss and its weight, without gradients
     */
    Value value(Batch batch);

    /**
     * @param batch a batch
     * @return loss, weight and the gradient of every concept-LM parameter
     */
    Step step(Batch batch);

    /**
     * A loss value.
     *
     * @param loss the mean loss
     * @param weight the mean's units: CE target tokens, or MSE predictions
     */
    record Value(double loss, double weight) {}

    /**
     * Loss and gradients of one batch.
     *
     * @param loss the mean loss
     * @param weight the mean's units: CE target tokens, or MSE predictions
     * @param gradients by concept-LM parameter name
     * @param predictionGradient CE: dLoss/d(prediction) {@code [predictions, d]} in {@link Batch#predictionRows()}
     *     order; null for MSE
     */
    record Step(double loss, double weight, Map<String, INDArray> gradients, INDArray predictionGradient) {}

    /**
     * @param objective CE or MSE
     * @param cfg concept LM shape
     * @param params initial parameters (copied into the graph)
     * @param decoder the frozen decoder (required for CE, ignored for MSE)
     * @param dtype FLOAT or DOUBLE
     * @return the loss
     * @throws InvalidInputException if CE has no decoder or one of another dimension
     */
    static ConceptLMLoss create(Objective objective, ConceptLMConfig cfg, Map<String, INDArray> params,
            ImportedSonarDecoder decoder, DataType dtype) {
        return create(objective, 0, cfg, params, decoder, dtype);
    }

    /**
     * @param objective CE or MSE
     * @param mseWeight CE only: the weight of the MSE to the next embedding added to the loss (finite, >= 0)
     * @param cfg concept LM shape
     * @param params initial parameters (copied into the graph)
     * @param decoder the frozen decoder (required for CE, ignored for MSE)
     * @param dtype FLOAT or DOUBLE
     * @return the loss
     * @throws InvalidInputException if CE has no decoder or one of another dimension, or the weight is out of
     *     range or given for MSE
     */
    static ConceptLMLoss create(Objective objective, double mseWeight, ConceptLMConfig cfg, Map<String, INDArray> params,
            ImportedSonarDecoder decoder, DataType dtype) {
        if (!(mseWeight >= 0) || !Double.isFinite(mseWeight)) {
            throw new InvalidInputException("expected an MSE weight >= 0, found " + mseWeight);
        }
        if (objective == Objective.MSE) {
            if (mseWeight != 0) {
                throw new InvalidInputException("expected the ce objective with an MSE weight (" + mseWeight
                        + "), found mse");
            }
            return new MseLoss(cfg, params, dtype);
        }
        if (decoder == null || decoder.dimension() != cfg.sonarDim()) {
            throw new InvalidInputException("expected a frozen decoder of dimension " + cfg.sonarDim()
                    + " for the ce objective, found " + (decoder == null ? "none" : decoder.dimension()));
        }
        return new DecoderCrossEntropy(cfg, params, decoder, dtype, mseWeight);
    }
}
