package org.sonarllm.training.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.training.internal.Gradients;

/** {@link Objective#MSE}: mean over real positions and dimensions of (prediction - next embedding)^2, in-graph. */
final class MseLoss implements ConceptLMLoss {
    private static final String TARGETS = "target_embeddings";
    private static final String TARGET_MASK = "target_mask";
    private static final String LOSS = "loss";

    private final ConceptLMGraph lm;
    private final DataType dtype;

    MseLoss(ConceptLMConfig cfg, Map<String, INDArray> params, DataType dtype) {
        SameDiff sd = SameDiff.create();
        this.lm = ConceptLMGraph.build(sd, cfg, dtype, params);
        this.dtype = dtype;
        int d = cfg.sonarDim();
        SDVariable target = sd.placeHolder(TARGETS, dtype, -1, -1, d);
        SDVariable mask = sd.placeHolder(TARGET_MASK, dtype, -1, -1);
        SDVariable sq = sd.sum(sd.math.square(lm.output().sub(target)), 2).mul(mask);
        sd.sum(sq).div(sd.sum(mask).mul(d)).rename(LOSS);
        sd.setLossVariables(LOSS);
    }

    private Map<String, INDArray> feeds(Batch batch) {
        Map<String, INDArray> f = new LinkedHashMap<>(lm.feeds(batch.input()));
        f.put(TARGETS, batch.nextEmbeddings().castTo(dtype));
        f.put(TARGET_MASK, batch.predictionMask().castTo(dtype));
        return f;
    }

    @Override
    public Value value(Batch batch) {
        return new Value(lm.sameDiff().output(feeds(batch), LOSS).get(LOSS).getDouble(0), batch.predictions());
    }

    @Override
    public Step step(Batch batch) {
        Gradients og = Gradients.of(lm.sameDiff(), feeds(batch), List.of(LOSS), lm.parameterNames());
        return new Step(og.outputs().get(LOSS).getDouble(0), batch.predictions(), og.gradients(), null);
    }

    @Override
    public ConceptLMGraph lm() {
        return lm;
    }

    @Override
    public Objective objective() {
        return Objective.MSE;
    }

    @Override
    public Anchors anchors() {
        return Anchors.NONE;
    }

    @Override
    public DataType dtype() {
        return dtype;
    }
}
