/**
 * sonarllm-onnx's entry points: {@link org.sonarllm.onnx.SonarLlm}, the ONNX Runtime {@link
 * org.sonarllm.models.SonarModel} (load a bundle with {@link org.sonarllm.onnx.runtime.RuntimeOptions}),
 * and {@link org.sonarllm.onnx.OnnxModelProvider}, the {@link java.util.ServiceLoader} provider through
 * which {@code SonarModels.load} / {@code loadDefault()} find this runtime.
 *
 * <p>Packages and what they may use (a test enforces it, see {@code docs/architecture.md}):
 * {@link org.sonarllm.onnx.weights} (checkpoint tensors) &lt;- {@link org.sonarllm.onnx.graph} (every
 * ONNX graph with its input/output names) &lt;- {@link org.sonarllm.onnx.runtime} (every ONNX Runtime
 * session) and {@link org.sonarllm.onnx.convert} (checkpoints to bundles; handed an encoder, never the
 * runtime) &lt;- this package.
 */
package org.sonarllm.onnx;
