/** Step 3 of the pipeline: sentences to concept vectors ({@link org.sonarllm.encode.ConceptEncoder}). */
package org.sonarllm.encode;
