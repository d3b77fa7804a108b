/**
 * SameDiff graphs and losses: the concept LM ({@link org.sonarllm.training.model.ConceptLMGraph}), the
 * bundle's frozen decoder imported from ONNX ({@link org.sonarllm.training.model.ImportedSonarDecoder}),
 * the vocabulary-sized head shared by every decoder loss ({@link org.sonarllm.training.model.VocabularyHead})
 * and the concept LM's objectives ({@link org.sonarllm.training.model.ConceptLMLoss}: CE or MSE).
 */
package org.sonarllm.training.model;
