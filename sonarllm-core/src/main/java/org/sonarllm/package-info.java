/**
 * sonarllm-core: the public API of the SONAR-LLM SDK. Packages follow the pipeline a prompt takes:
 * {@link org.sonarllm.segment} (text to sentences) -> {@link org.sonarllm.tokenize} (sentences to
 * token ids) -> {@link org.sonarllm.encode} (sentences to concept vectors) -> {@link
 * org.sonarllm.predict} (the concept LM predicts the next vector) -> {@link org.sonarllm.decode}
 * (vectors back to text) -> {@link org.sonarllm.generate} (the loop and its stop criteria).
 * {@link org.sonarllm.lang.Language} names the 202 SONAR languages; {@link org.sonarllm.bundle}
 * describes model bundles on disk; {@link org.sonarllm.model} holds the model shapes; {@link
 * org.sonarllm.models} loads a model through the runtime found on the class path ({@code
 * SonarModels.loadDefault()}).
 *
 * <p>This module has no native dependency besides SentencePiece; the ONNX Runtime implementations
 * live in {@code sonarllm-onnx}, found at run time through {@link org.sonarllm.models.ModelProvider}.
 */
package org.sonarllm;
