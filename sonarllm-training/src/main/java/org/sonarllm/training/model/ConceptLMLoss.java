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
 * CE can carry {@link Anchors}: the same MSE and a norm term (over the supervised rows, computed beside the
 * decoder), noise on the predictions while training and an entropy term, meant to keep CE's predictions near real
 * sentence embeddings (on the default model's miniature space only the MSE term does: docs/default-model.md).
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

    /** @return the terms added to CE ({@link Anchors#NONE}: pure CE; always NONE for MSE) */
    Anchors anchors();

    /**
     * What keeps CE's predictions near real sentence embeddings, over the supervised rows P (predictions) and
     * Y (their true next embeddings): two terms added to the loss,
     * {@code mse x mean((P - Y)^2)} (over rows and dimensions, as {@link Objective#MSE}) and
     * {@code norm x mean((|p| - |y|)^2)} (over rows: the prediction's length held to the true vector's,
     * its direction left to CE); and noise on the predictions the decoder sees while training
     * ({@link Batch#predictionNoise}: Gaussian, {@code noise x} the true vector's RMS), so that a prediction must
     * decode its sentence over a neighbourhood, as the space's decoder was trained to around real vectors. The
     * terms see the predictions without noise; validation ({@link #value}) decodes them without noise. And
     * {@code entropy x} the mean entropy of the decoder's token distributions at the labelled positions
     * (a third term, inside the decoder's loss): it rewards predictions the decoder is sure about, as it is about
     * real sentence vectors, over vectors that spread their probability over many possible next sentences.
     *
     * <pre>{@code
     * ConceptLMLoss.create(Objective.CE, new ConceptLMLoss.Anchors(40, 0), cfg, params, decoder, DataType.FLOAT);
     * ConceptLMLoss.create(Objective.CE, new ConceptLMLoss.Anchors(0, 0.41, 0.3), cfg, params, decoder, DataType.FLOAT);
     * }</pre>
     *
     * @param mse weight of the MSE term (finite, >= 0)
     * @param norm weight of the norm term (finite, >= 0)
     * @param noise scale of the prediction noise relative to the true vector's RMS (0 = none, at most
     *     {@value #MAX_NOISE})
     * @param entropy weight of the decoder's mean entropy (finite, >= 0)
     */
    record Anchors(double mse, double norm, double noise, double entropy) {
        /** No anchor: pure CE. */
        public static final Anchors NONE = new Anchors(0, 0, 0, 0);

        /** Largest accepted {@link #noise}. */
        public static final double MAX_NOISE = 2;

        /** Validates. */
        public Anchors {
            if (!(mse >= 0) || !Double.isFinite(mse) || !(norm >= 0) || !Double.isFinite(norm)) {
                throw new InvalidInputException("expected anchor weights >= 0, found MSE " + mse + ", norm " + norm);
            }
            if (!(noise >= 0 && noise <= MAX_NOISE)) {
                throw new InvalidInputException("expected prediction noise in 0.." + MAX_NOISE + ", found " + noise);
            }
            if (!(entropy >= 0) || !Double.isFinite(entropy)) {
                throw new InvalidInputException("expected an entropy weight >= 0, found " + entropy);
            }
        }

        /**
         * The two terms beside the decoder and noise, no entropy term.
         *
         * @param mse weight of the MSE term
         * @param norm weight of the norm term
         * @param noise scale of the prediction noise
         */
        public Anchors(double mse, double norm, double noise) {
            this(mse, norm, noise, 0);
        }

        /**
         * The two terms without noise.
         *
         * @param mse weight of the MSE term
         * @param norm weight of the norm term
         */
        public Anchors(double mse, double norm) {
            this(mse, norm, 0, 0);
        }

        /** @return whether a term beside the decoder (MSE, norm) is on */
        public boolean any() {
            return mse != 0 || norm != 0;
        }
    }

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
        return create(objective, Anchors.NONE, cfg, params, decoder, dtype);
    }

    /**
     * @param objective CE or MSE
     * @param anchors CE only: terms added to the loss ({@link Anchors#NONE} for none)
     * @param cfg concept LM shape
     * @param params initial parameters (copied into the graph)
     * @param decoder the frozen decoder (required for CE, ignored for MSE)
     * @param dtype FLOAT or DOUBLE
     * @return the loss
     * @throws InvalidInputException if CE has no decoder or one of another dimension, or anchors are given
     *     for MSE
     */
    static ConceptLMLoss create(Objective objective, Anchors anchors, ConceptLMConfig cfg, Map<String, INDArray> params,
            ImportedSonarDecoder decoder, DataType dtype) {
        if (objective == Objective.MSE) {
            if (anchors.any() || anchors.noise() != 0 || anchors.entropy() != 0) {
                throw new InvalidInputException("expected the ce objective with anchor weights (MSE " + anchors.mse()
                        + ", norm " + anchors.norm() + ", prediction noise " + anchors.noise() + ", entropy "
                        + anchors.entropy() + "), found mse");
            }
            return new MseLoss(cfg, params, dtype);
        }
        if (decoder == null || decoder.dimension() != cfg.sonarDim()) {
            throw new InvalidInputException("expected a frozen decoder of dimension " + cfg.sonarDim()
                    + " for the ce objective, found " + (decoder == null ? "none" : decoder.dimension()));
        }
        return new DecoderCrossEntropy(cfg, params, decoder, dtype, anchors);
    }
}
