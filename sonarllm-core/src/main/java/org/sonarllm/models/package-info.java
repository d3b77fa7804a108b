/**
 * Finding and opening models: {@link org.sonarllm.models.SonarModels} (the entry point, {@code
 * load(Path)} and {@code loadDefault()}), {@link org.sonarllm.models.SonarModel} (a loaded bundle:
 * encoder, decoder, concept LM, generator, tokenizer, manifest) and {@link
 * org.sonarllm.models.ModelProvider}, the {@link java.util.ServiceLoader} interface a runtime
 * implements ({@code sonarllm-onnx} provides the ONNX Runtime one). Applications compile against this
 * package and put a runtime on the class path. (The model shapes, SONAR and concept-LM configurations,
 * are in {@link org.sonarllm.model}.)
 */
package org.sonarllm.models;
