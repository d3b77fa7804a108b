/**
 * The one training loop of sonarllm-training and its vocabulary: {@link org.sonarllm.training.TrainingLoop}
 * runs any {@link org.sonarllm.training.TrainingTask} (resume with exact continuation, run fingerprint,
 * AdamW, warmup + cosine schedule, global-norm clipping, accumulation, data-parallel replicas, atomic
 * checkpoints, metrics and listeners, validation, divergence check) with a
 * {@link org.sonarllm.training.TrainingConfig}; the same failures raise the same exceptions for every task
 * ({@link org.sonarllm.training.CheckpointMismatchException}, {@link org.sonarllm.training.CorruptCheckpointException},
 * {@link org.sonarllm.training.TrainingDivergedException}, {@link org.sonarllm.training.EmptyCorpusException}).
 *
 * <p>The pipeline, package by package: {@code data} (corpus to documents) -> {@code model} (SameDiff graphs,
 * the frozen decoder, the vocabulary head, the losses) -> {@code optim} -> this loop, with the tasks in
 * {@code lm} (the concept LM) and {@code sonar} (the SONAR-space autoencoder) -> {@code eval} (losses and
 * text metrics of trained models).
 */
package org.sonarllm.training;
