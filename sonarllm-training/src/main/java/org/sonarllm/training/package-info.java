/** Concept-LM training through the frozen SONAR decoder: {@link org.sonarllm.training.ConceptLMTrainer}, {@link org.sonarllm.training.ConceptLMExport}. */
package org.sonarllm.training;
