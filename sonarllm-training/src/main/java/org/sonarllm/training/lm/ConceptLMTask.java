package org.sonarllm.training.lm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.training.EpochOrder;
import org.sonarllm.training.TrainingTask;
import org.sonarllm.training.data.Dataset;
import org.sonarllm.training.eval.LossEvaluator;
import org.sonarllm.training.model.Batch;
import org.sonarllm.training.model.ConceptLMLoss;
import org.sonarllm.training.model.Objective;

/**
 * The concept LM as a {@link TrainingTask}: examples are documents in a seeded shuffled order, a
 * micro-batch's loss and gradients are its {@link ConceptLMLoss}'s (CE weighted by target tokens, MSE by
 * predictions; each document gets a noise seed for CE's prediction noise), validation is the
 * {@link LossEvaluator} over the dataset's validation documents.
 */
final class ConceptLMTask implements TrainingTask<Batch.Document> {
    private final ConceptLMLoss loss;
    private final IntFunction<ConceptLMLoss> copies;
    private final Dataset data;
    private final int validationBatch;

    /**
     * @param loss replica 0 (the trainer's own graph)
     * @param copies builds replica i >= 1 (own graphs and decoder, parameters copied from replica 0)
     * @param data documents
     * @param validationBatch documents per validation forward pass
     */
    ConceptLMTask(ConceptLMLoss loss, IntFunction<ConceptLMLoss> copies, Dataset data, int validationBatch) {
        this.loss = loss;
        this.copies = copies;
        this.data = data;
        this.validationBatch = validationBatch;
    }

    @Override
    public Map<String, String> fingerprint() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("task", "concept-lm");
        m.put("model", String.valueOf(loss.lm().config()));
        m.put("objective", String.valueOf(loss.objective()));
        if (loss.anchors().mse() != 0) {
            m.put("mse weight", String.valueOf(loss.anchors().mse()));
        }
        if (loss.anchors().norm() != 0) {
            m.put("norm weight", String.valueOf(loss.anchors().norm()));
        }
        if (loss.anchors().noise() != 0) {
            m.put("prediction noise", String.valueOf(loss.anchors().noise()));
        }
        if (loss.anchors().entropy() != 0) {
            m.put("entropy weight", String.valueOf(loss.anchors().entropy()));
        }
        m.put("dtype", String.valueOf(loss.dtype()));
        m.put("data", data.contentHash());
        return m;
    }

    @Override
    public int size() {
        return data.train().size();
    }

    @Override
    public String unit() {
        return "document";
    }

    @Override
    public List<int[]> epochBatches(int epoch, long seed, int batchSize) {
        return EpochOrder.shuffled(size(), batchSize, seed, epoch);
    }

    @Override
    public List<Batch.Document> examples(int[] rows, long step, int microBatch) {
        Batch.Document[] docs = new Batch.Document[rows.length];
        for (int i = 0; i < rows.length; i++) { // noise seeds from the step alone: resumable, the same for any workers
            docs[i] = data.train().get(rows[i]).withNoiseSeed(step * 1_000_033L + microBatch * 7_919L + i);
        }
        return List.of(docs);
    }

    @Override
    public Map<String, INDArray> parameters() {
        return loss.lm().parameters();
    }

    @Override
    public Replica<Batch.Document> replica(int index) {
        return replica(index == 0 ? loss : copies.apply(index));
    }

    private static Replica<Batch.Document> replica(ConceptLMLoss l) {
        return new Replica<>() {
            @Override
            public Map<String, INDArray> parameters() {
                return l.lm().parameters();
            }

            @Override
            public Gradients gradients(List<Batch.Document> examples, List<String> names) {
                Batch b = new Batch(examples, Batch.EOS);
                ConceptLMLoss.Step s = l.step(b);
                Map<String, INDArray> g = new LinkedHashMap<>();
                names.forEach(n -> g.put(n, s.gradients().get(n)));
                return new Gradients(s.loss(), s.weight(), b.predictions(),
                        l.objective() == Objective.CE ? b.targetTokens() : 0, g);
            }
        };
    }

    @Override
    public double validationLoss() {
        return data.validation().isEmpty() ? Double.NaN
                : new LossEvaluator(loss, validationBatch).evaluate(data.validation()).loss();
    }
}
