package org.sonarllm.training.eval;

import org.sonarllm.training.internal.Nd4jOutput;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.sonarllm.InvalidInputException;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.training.model.Batch;
import org.sonarllm.training.model.ConceptLMLoss;
import org.sonarllm.training.model.ConceptLMWeights;
import org.sonarllm.training.model.ImportedSonarDecoder;
import org.sonarllm.training.model.Objective;

/**
 * The loss of documents under a concept LM, the one evaluation of the concept LM's objective: the
 * trainer's validation and {@code ./sonarllm eval-loss} both use it. Documents are taken in batches and
 * the batch losses are combined weighted by their units, so the result is the mean over all target
 * tokens (CE through the frozen decoder) or over all predictions x dimensions (MSE), whatever the batch
 * size.
 *
 * <pre>{@code
 * LossEvaluator e = LossEvaluator.load(Path.of("my-bundle"), Path.of("my-bundle/concept_lm_checkpoint"), Objective.CE, 8);
 * LossEvaluator.Result r = e.evaluate(documents);   // r.loss(), r.weight() = target tokens
 * }</pre>
 *
 * <p>Not thread-safe (the loss's graphs are not).
 */
public final class LossEvaluator {
    private final ConceptLMLoss loss;
    private final int batchSize;

    /**
     * @param loss a concept LM with its objective
     * @param batchSize documents per forward pass
     */
    public LossEvaluator(ConceptLMLoss loss, int batchSize) {
        if (batchSize < 1) {
            throw new InvalidInputException("expected a batch size >= 1, found " + batchSize);
        }
        this.loss = loss;
        this.batchSize = batchSize;
    }

    /**
     * The concept LM of a SONAR-LLM checkpoint directory ({@code config.json}, {@code model.safetensors}),
     * with the bundle's frozen decoder for CE.
     *
     * @param bundleDir the bundle (its {@code decoder_training.onnx} for CE)
     * @param checkpointDir the concept LM checkpoint
     * @param objective CE or MSE
     * @param batchSize documents per forward pass
     * @return the evaluator
     * @throws InvalidInputException if the checkpoint directory does not exist
     */
    public static LossEvaluator load(Path bundleDir, Path checkpointDir, Objective objective, int batchSize) {
        if (!Files.isDirectory(checkpointDir)) {
            throw new InvalidInputException("expected a concept LM checkpoint directory, found nothing at " + checkpointDir);
        }
        ConceptLMConfig cfg = ConceptLMConfig.read(checkpointDir.resolve("config.json"));
        ImportedSonarDecoder decoder = objective == Objective.CE ? ImportedSonarDecoder.fromBundle(bundleDir) : null;
        return new LossEvaluator(ConceptLMLoss.create(objective, cfg,
                ConceptLMWeights.fromSafeTensors(checkpointDir.resolve("model.safetensors"), cfg, DataType.FLOAT), decoder,
                DataType.FLOAT), batchSize);
    }

    /**
     * A mean loss.
     *
     * @param loss the mean over all units
     * @param weight the units: CE target tokens, or MSE predicted sentences
     */
    public record Result(double loss, double weight) {}

    /**
     * @param documents documents (end-of-sequence sentence appended, tokens present for CE)
     * @return the mean loss with the current parameters
     * @throws InvalidInputException if there is no document
     */
    public Result evaluate(List<Batch.Document> documents) {
        if (documents.isEmpty()) {
            throw new InvalidInputException("expected at least one document to evaluate, found none");
        }
        return Nd4jOutput.quietly(() -> mean(documents));
    }

    private Result mean(List<Batch.Document> documents) {
        double sum = 0;
        double weight = 0;
        for (int i = 0; i < documents.size(); i += batchSize) {
            Batch b = new Batch(documents.subList(i, Math.min(documents.size(), i + batchSize)), Batch.EOS);
            ConceptLMLoss.Value v = loss.value(b);
            sum += v.loss() * v.weight();
            weight += v.weight();
        }
        return new Result(sum / weight, weight);
    }
}
