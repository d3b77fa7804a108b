/** SameDiff graphs: the concept LM ({@link org.sonarllm.training.model.ConceptLMGraph}), the frozen decoder and the CE/MSE training graph. */
package org.sonarllm.training.model;
