package org.sonarllm.training.data;

import java.util.List;
import org.sonarllm.training.model.Batch;

/**
 * Documents ready for training: sentence embeddings (end-of-sequence sentence appended) and decoder
 * tokens, split into training and validation parts.
 *
 * <pre>{@code
 * Dataset ds = CorpusPipeline.forBundle(llm, Language.ENGLISH, CorpusPipeline.Options.defaults(), cache)
 *         .load(CorpusReader.read(Path.of("corpus")), (done, total) -> {});
 * trainer.train(ds, TrainingListener.NONE);
 * }</pre>
 *
 * @param train training documents
 * @param validation validation documents (may be empty)
 */
public record Dataset(List<Batch.Document> train, List<Batch.Document> validation) {
    /** Copies the lists. */
    public Dataset {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
    }
}
