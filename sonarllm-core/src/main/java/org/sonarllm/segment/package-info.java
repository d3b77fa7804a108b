/** Step 1 of the pipeline: text to sentences with offsets. */
package org.sonarllm.segment;
