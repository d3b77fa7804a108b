/**
 * The SONAR-space task: a SONAR-style sentence autoencoder ({@link org.sonarllm.training.sonar.AutoencoderGraph})
 * trained by denoising auto-encoding and interpolation fine-tuning
 * ({@link org.sonarllm.training.sonar.AutoencoderTrainer}) in the {@link org.sonarllm.training.TrainingLoop},
 * exported in the Hugging Face M2M100 layout the converter reads ({@link org.sonarllm.training.sonar.M2M100Export}).
 */
package org.sonarllm.training.sonar;
