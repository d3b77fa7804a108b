/**
 * Evaluation of trained models: the concept LM's loss on documents ({@link org.sonarllm.training.eval.LossEvaluator},
 * shared by training's validation and {@code eval-loss}), next-sentence prediction
 * ({@link org.sonarllm.training.eval.NextSentenceEvaluator}), a SONAR space's reconstruction and retrieval
 * ({@link org.sonarllm.training.eval.SpaceEvaluator}) and the text metrics they report
 * ({@link org.sonarllm.training.eval.TextMetrics}).
 */
package org.sonarllm.training.eval;
