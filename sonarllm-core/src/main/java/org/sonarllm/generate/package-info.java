/**
 * Step 6: the generation loop ({@link org.sonarllm.generate.Generator}) and when it stops
 * ({@link org.sonarllm.generate.StopCriterion}).
 */
package org.sonarllm.generate;
