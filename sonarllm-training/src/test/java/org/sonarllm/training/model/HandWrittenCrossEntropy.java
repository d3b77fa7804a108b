package org.sonarllm.training.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.model.ConceptLMConfig;

/**
 * Test-scope reference of the CE objective, built the old, independent way: the concept LM, a one-hot
 * selection of the supervised predictions, the hand-written {@link FrozenSonarDecoder} and an in-graph
 * stable log-softmax against one-hot labels, all in ONE SameDiff graph (so SameDiff differentiates the
 * whole chain itself, in float or double). The production path ({@link ConceptLMLoss} with the imported
 * decoder, the {@link VocabularyHead} outside the graph, two graphs joined by the chain rule) is checked
 * against it.
 */
final class HandWrittenCrossEntropy {
    static final String LOSS = "loss";
    static final String SELECT = "prediction_select";
    static final String SELECTED = "selected_predictions";
    static final String LABELS = "label_onehot";

    private final ConceptLMGraph lm;
    private final FrozenSonarDecoder decoder;
    private final DataType dtype;

    HandWrittenCrossEntropy(ConceptLMConfig cfg, Map<String, INDArray> params, FrozenSonarDecoder decoder, DataType dtype) {
        SameDiff sd = SameDiff.create();
        this.lm = ConceptLMGraph.build(sd, cfg, dtype, params);
        this.decoder = decoder;
        this.dtype = dtype;
        int d = cfg.sonarDim();
        SDVariable select = sd.placeHolder(SELECT, dtype, -1, -1);
        SDVariable selected = sd.mmul(SELECTED, select, sd.reshape(lm.output(), -1, d));
        SDVariable logits = decoder.attach(sd, selected, dtype);
        SDVariable shifted = logits.sub(sd.max(logits, true, 1));
        SDVariable logProbs = shifted.sub(sd.math.log(sd.sum(sd.math.exp(shifted), true, 1)));
        SDVariable labels = sd.placeHolder(LABELS, dtype, -1, decoder.vocabSize());
        sd.math.neg(sd.sum(logProbs.mul(labels))).div(sd.sum(labels)).rename(LOSS);
        sd.setLossVariables(LOSS);
    }

    ConceptLMGraph lm() {
        return lm;
    }

    Map<String, INDArray> feeds(Batch batch) {
        Map<String, INDArray> f = new LinkedHashMap<>(lm.feeds(batch.input()));
        int[] rows = batch.predictionRows();
        float[][] select = new float[rows.length][batch.documents().size() * batch.positions()];
        for (int i = 0; i < rows.length; i++) {
            select[i][rows[i]] = 1;
        }
        int pad = decoder.padId();
        long[][] ids = batch.decoderInputs(pad);
        long[][] labels = batch.labels(pad);
        int len = ids[0].length;
        INDArray onehot = Nd4j.zeros(dtype, (long) labels.length * len, decoder.vocabSize());
        for (int i = 0; i < labels.length; i++) {
            for (int j = 0; j < len; j++) {
                if (labels[i][j] != pad) {
                    onehot.putScalar((long) i * len + j, labels[i][j], 1.0);
                }
            }
        }
        f.put(SELECT, Nd4j.createFromArray(select).castTo(dtype));
        f.put(LABELS, onehot);
        f.putAll(decoder.feeds(ids, dtype));
        return f;
    }

    double loss(Batch batch) {
        return lm.sameDiff().output(feeds(batch), LOSS).get(LOSS).getDouble(0);
    }

    Map<String, INDArray> gradients(Batch batch) {
        return lm.sameDiff().calculateGradients(feeds(batch), lm.parameterNames());
    }

    /** dLoss/d(selected predictions) [predictions, d]. */
    INDArray predictionGradient(Batch batch) {
        return lm.sameDiff().calculateGradients(feeds(batch), List.of(SELECTED)).get(SELECTED);
    }
}
