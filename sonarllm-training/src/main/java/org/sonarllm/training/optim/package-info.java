/** AdamW, cosine learning-rate schedule and gradient clipping. */
package org.sonarllm.training.optim;
