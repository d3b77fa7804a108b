/** Step 5 of the pipeline: concept vectors back to text, in any SONAR language. */
package org.sonarllm.decode;
