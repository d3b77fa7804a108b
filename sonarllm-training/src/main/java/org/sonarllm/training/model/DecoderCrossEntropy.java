package org.sonarllm.training.model;

import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.model.ConceptLMConfig;

/**
 * {@link Objective#CE} through the frozen decoder, exact chain rule across two graphs without graph
 * surgery: the concept LM runs forward to its predictions, the supervised rows P are picked by index,
 * the decoder (with the shared {@link VocabularyHead}) gives the CE loss and G = dL/dP, G is scattered
 * back to the output's shape, and the concept LM is back-propagated with the surrogate loss
 * {@code sum(output * G)} (G fed as a placeholder), whose parameter gradients are the CE gradients.
 */
final class DecoderCrossEntropy implements ConceptLMLoss {
    private static final String OUTPUT_GRAD = "predicted_embeddings_grad";
    private static final String SURROGATE = "ce_surrogate";

    private final ConceptLMGraph lm;
    private final ImportedSonarDecoder decoder;
    private final DataType dtype;

    DecoderCrossEntropy(ConceptLMConfig cfg, Map<String, INDArray> params, ImportedSonarDecoder decoder, DataType dtype) {
        SameDiff sd = SameDiff.create();
        this.lm = ConceptLMGraph.build(sd, cfg, dtype, params);
        this.decoder = decoder;
        this.dtype = dtype;
        SDVariable g = sd.placeHolder(OUTPUT_GRAD, dtype, -1, -1, cfg.sonarDim());
        sd.sum(lm.output().mul(g)).rename(SURROGATE);
        sd.setLossVariables(SURROGATE);
    }

    /** The concept LM's predictions at the supervised positions, [predictions][d] in float. */
    private float[][] predictions(Map<String, INDArray> feeds, int[] rows) {
        INDArray out = lm.sameDiff().output(feeds, ConceptLMGraph.OUTPUT).get(ConceptLMGraph.OUTPUT);
        INDArray flat = out.reshape(-1, out.size(2));
        return Nd4j.pullRows(flat, 1, rows).castTo(DataType.FLOAT).toFloatMatrix();
    }

    @Override
    public Value value(Batch batch) {
        float[][] p = predictions(lm.feeds(batch.input()), batch.predictionRows());
        int pad = decoder.padId();
        return new Value(decoder.crossEntropyLoss(batch.decoderInputs(pad), batch.labels(pad), p).loss(),
                batch.targetTokens());
    }

    @Override
    public Step step(Batch batch) {
        Map<String, INDArray> f = lm.feeds(batch.input());
        int[] rows = batch.predictionRows();
        int pad = decoder.padId();
        ImportedSonarDecoder.LossAndGradient ce = decoder.crossEntropy(batch.decoderInputs(pad), batch.labels(pad),
                predictions(f, rows));
        int d = lm.config().sonarDim();
        INDArray g = Nd4j.zeros(dtype, (long) batch.documents().size() * batch.positions(), d);
        INDArray pg = ce.gradient().castTo(dtype);
        for (int i = 0; i < rows.length; i++) {
            g.putRow(rows[i], pg.getRow(i));
        }
        f.put(OUTPUT_GRAD, g.reshape(batch.documents().size(), batch.positions(), d));
        Map<String, INDArray> grads = lm.sameDiff().calculateGradients(f, lm.parameterNames());
        return new Step(ce.loss(), ce.targets(), grads, ce.gradient());
    }

    @Override
    public ConceptLMGraph lm() {
        return lm;
    }

    @Override
    public Objective objective() {
        return Objective.CE;
    }

    @Override
    public DataType dtype() {
        return dtype;
    }
}
