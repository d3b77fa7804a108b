/**
 * Runnable examples of the public API, written against sonarllm-core only ({@link
 * org.sonarllm.models.SonarModels} finds the ONNX runtime on the class path): {@link
 * org.sonarllm.examples.Continue} (generation with the default model) and {@link
 * org.sonarllm.examples.Translate} (SONAR encode in one language, decode in another).
 */
package org.sonarllm.examples;
