package org.sonarllm.training.model;

import org.sonarllm.model.ConceptLMConfig;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.InvalidInputException;

/**
 * Concept LM plus loss in one SameDiff graph. For {@link Objective#CE} the predictions selected by
 * {@value #PREDICTION_INDEX} are decoded by the {@link FrozenSonarDecoder} with teacher forcing and
 * the loss is the mean negative log-probability of the label tokens picked by
 * {@value #LABEL_INDEX} (padding is simply not listed); for {@link Objective#MSE} it is the mean
 * squared error between masked predictions and the next embeddings. Feeds come from
 * {@link Batch#feeds}.
 *
 * <pre>{@code
 * TrainingGraph g = TrainingGraph.build(cfg, params, decoder, Objective.CE, DataType.FLOAT);
 * double loss = g.loss(batch);
 * }</pre>
 *
 * <p>Not thread-safe.
 */
public final class TrainingGraph {
    /** Scalar loss variable. */
    public static final String LOSS = "loss";
    /** CE: one-hot selection [n, b * positions] of the predictions to decode (row i picks b * positions + k - 1). */
    public static final String PREDICTION_INDEX = "prediction_select";
    /** CE: selected predictions [n, d] (gradients w.r.t. it are dL/d(predicted embedding)). */
    public static final String SELECTED = "selected_predictions";
    /** CE: one-hot labels [n * len, vocab], all-zero rows at padding (SameDiff M2.1 cannot differentiate gather). */
    public static final String LABEL_INDEX = "label_onehot";
    /** MSE: next-embedding targets [b, positions, d]. */
    public static final String TARGETS = "target_embeddings";
    /** MSE: 1 where a position predicts a real sentence, else 0, [b, positions]. */
    public static final String TARGET_MASK = "target_mask";

    /** CE through an imported decoder: dL/d(selected predictions) [n, d], fed each step. */
    public static final String SELECTED_GRAD = "selected_predictions_grad";

    private final ConceptLMGraph lm;
    private final FrozenSonarDecoder decoder;
    private ImportedSonarDecoder imported;
    private final Objective objective;
    private final DataType dtype;

    private TrainingGraph(ConceptLMGraph lm, FrozenSonarDecoder decoder, Objective objective, DataType dtype) {
        this.lm = lm;
        this.decoder = decoder;
        this.objective = objective;
        this.dtype = dtype;
    }

    /**
     * @param cfg concept LM config
     * @param params initial concept LM parameters
     * @param decoder the frozen decoder (required for CE, ignored for MSE)
     * @param objective the loss
     * @param dtype FLOAT or DOUBLE
     * @return the graph with its loss variable set
     */
    public static TrainingGraph build(ConceptLMConfig cfg, Map<String, INDArray> params, FrozenSonarDecoder decoder,
            Objective objective, DataType dtype) {
        SameDiff sd = SameDiff.create();
        ConceptLMGraph lm = ConceptLMGraph.build(sd, cfg, dtype, params);
        SDVariable pred = lm.output();
        int d = cfg.sonarDim();
        SDVariable loss;
        if (objective == Objective.CE) {
            if (decoder == null) {
                throw new InvalidInputException("expected a frozen decoder for the ce objective, found none");
            }
            if (decoder.dimension() != d) {
                throw new InvalidInputException("expected a decoder of dimension " + d + ", found " + decoder.dimension());
            }
            SDVariable select = sd.placeHolder(PREDICTION_INDEX, dtype, -1, -1);
            SDVariable selected = sd.mmul(SELECTED, select, sd.reshape(pred, -1, d));
            SDVariable logits = decoder.attach(sd, selected, dtype);
            // Stable log-softmax (x - max - log(sum(exp(x - max)))): never -inf, so -inf * 0 cannot make NaN.
            SDVariable shifted = logits.sub(sd.max(logits, true, 1));
            SDVariable logProbs = shifted.sub(sd.math.log(sd.sum(sd.math.exp(shifted), true, 1)));
            SDVariable labels = sd.placeHolder(LABEL_INDEX, dtype, -1, decoder.vocabSize());
            loss = sd.math.neg(sd.sum(logProbs.mul(labels))).div(sd.sum(labels));
        } else {
            SDVariable target = sd.placeHolder(TARGETS, dtype, -1, -1, d);
            SDVariable mask = sd.placeHolder(TARGET_MASK, dtype, -1, -1);
            SDVariable sq = sd.sum(sd.math.square(pred.sub(target)), 2).mul(mask);
            loss = sd.sum(sq).div(sd.sum(mask).mul(d));
        }
        loss = loss.rename(LOSS);
        sd.setLossVariables(LOSS);
        return new TrainingGraph(lm, decoder, objective, dtype);
    }

    /**
     * CE through the frozen decoder imported from a bundle's ONNX graph, kept in its own SameDiff:
     * each step runs the concept LM to the selected predictions P, the decoder graph gives the CE loss
     * and G = dL/dP, and the concept LM is backpropagated with the surrogate loss sum(P * G) (G fed as
     * a constant), whose parameter gradients equal the chain-rule gradients of the CE loss.
     *
     * <pre>{@code
     * TrainingGraph g = TrainingGraph.buildImported(cfg, params, ImportedSonarDecoder.fromBundle(dir), DataType.FLOAT);
     * TrainingGraph.Step s = g.step(batch); // CE loss and parameter gradients
     * }</pre>
     *
     * @param cfg concept LM config
     * @param params initial parameters
     * @param decoder the imported decoder
     * @param dtype FLOAT or DOUBLE
     * @return the graph (its loss variable is the surrogate)
     */
    public static TrainingGraph buildImported(ConceptLMConfig cfg, Map<String, INDArray> params,
            ImportedSonarDecoder decoder, DataType dtype) {
        int d = cfg.sonarDim();
        if (decoder == null || decoder.dimension() != d) {
            throw new InvalidInputException("expected an imported decoder of dimension " + d + ", found "
                    + (decoder == null ? "none" : decoder.dimension()));
        }
        SameDiff sd = SameDiff.create();
        ConceptLMGraph lm = ConceptLMGraph.build(sd, cfg, dtype, params);
        SDVariable select = sd.placeHolder(PREDICTION_INDEX, dtype, -1, -1);
        SDVariable selected = sd.mmul(SELECTED, select, sd.reshape(lm.output(), -1, d));
        SDVariable g = sd.placeHolder(SELECTED_GRAD, dtype, -1, d);
        sd.sum(selected.mul(g)).rename(LOSS);
        sd.setLossVariables(LOSS);
        TrainingGraph t = new TrainingGraph(lm, null, Objective.CE, dtype);
        t.imported = decoder;
        return t;
    }

    /**
     * Loss and parameter gradients of one batch.
     *
     * @param loss the objective's loss
     * @param gradients by parameter name
     * @param predictionGradient CE: dL/d(selected predictions) [n, d]; null otherwise
     */
    public record Step(double loss, Map<String, INDArray> gradients, INDArray predictionGradient) {}

    /**
     * @param batch a batch
     * @return loss and gradients for every concept LM parameter
     */
    public Step step(Batch batch) {
        Map<String, INDArray> f = feeds(batch);
        List<String> names = lm.parameterNames();
        if (imported == null) {
            OutAndGrad og = sameDiff().calculateGradientsAndOutputs(f, List.of(LOSS), names);
            return new Step(og.getOutputs().get(LOSS).getDouble(0), og.getGradients(), null);
        }
        ImportedSonarDecoder.LossAndGradient ce = importedCe(batch, f);
        f.put(SELECTED_GRAD, ce.gradient().castTo(dtype));
        return new Step(ce.loss(), sameDiff().calculateGradients(f, names), ce.gradient());
    }

    private ImportedSonarDecoder.LossAndGradient importedCe(Batch batch, Map<String, INDArray> f) {
        int pad = imported.padId();
        return imported.crossEntropy(batch.decoderInputs(pad), batch.labels(pad), selectedPredictions(f));
    }

    /** The concept LM's predictions at the supervised positions, fed to the imported decoder. */
    private float[][] selectedPredictions(Map<String, INDArray> f) {
        return sameDiff().output(f, SELECTED).get(SELECTED).castTo(DataType.FLOAT).toFloatMatrix();
    }

    /** @return the concept LM inside */
    public ConceptLMGraph lm() {
        return lm;
    }

    /** @return the graph */
    public SameDiff sameDiff() {
        return lm.sameDiff();
    }

    /** @return the objective */
    public Objective objective() {
        return objective;
    }

    /** @return the array type */
    public DataType dtype() {
        return dtype;
    }

    /**
     * @param batch a batch
     * @return placeholders for one forward/backward pass
     */
    public Map<String, INDArray> feeds(Batch batch) {
        if (imported != null) {
            return batch.selectionFeeds(this);
        }
        return batch.feeds(this, decoder);
    }

    /**
     * @param batch a batch
     * @return the loss value
     */
    public double loss(Batch batch) {
        if (imported != null) {
            int pad = imported.padId();
            return imported.crossEntropyLoss(batch.decoderInputs(pad), batch.labels(pad), selectedPredictions(feeds(batch)));
        }
        return sameDiff().output(feeds(batch), LOSS).get(LOSS).getDouble(0);
    }

    /**
     * @param batch a batch
     * @return loss gradients for every concept LM parameter, by name
     */
    public Map<String, INDArray> gradients(Batch batch) {
        if (imported != null) {
            return step(batch).gradients();
        }
        return sameDiff().calculateGradients(feeds(batch), lm.parameterNames());
    }
}
