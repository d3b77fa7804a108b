/**
 * Corpus to documents: reading ({@link org.sonarllm.training.data.CorpusReader}), sentences to embeddings
 * and decoder tokens with the bundle's end-of-sequence sentence ({@link org.sonarllm.training.data.DocumentEncoder},
 * {@link org.sonarllm.training.data.EndOfSequence}) and the cached, split training data
 * ({@link org.sonarllm.training.data.CorpusPipeline}).
 */
package org.sonarllm.training.data;
