/**
 * The concept-LM task: {@link org.sonarllm.training.lm.ConceptLMTrainer} trains a SONAR-LLM concept LM
 * (CE through a bundle's frozen decoder, or MSE) in the {@link org.sonarllm.training.TrainingLoop};
 * {@link org.sonarllm.training.lm.ConceptLMExport} writes it as a checkpoint and into a bundle.
 */
package org.sonarllm.training.lm;
