/** Step 4 of the pipeline: the concept LM predicts the next sentence vector. */
package org.sonarllm.predict;
