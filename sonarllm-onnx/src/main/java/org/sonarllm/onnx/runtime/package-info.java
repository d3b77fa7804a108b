/**
 * Every ONNX Runtime session: the SONAR encoder ({@link org.sonarllm.onnx.runtime.OnnxConceptEncoder}),
 * the decoder with its greedy, sampling and beam searches over a KV cache ({@link
 * org.sonarllm.onnx.runtime.OnnxConceptDecoder}), the concept LM and its sessions ({@link
 * org.sonarllm.onnx.runtime.OnnxConceptLm}, also the loader of a bundle's {@code concept_lm}
 * component), and how sessions are created ({@link org.sonarllm.onnx.runtime.RuntimeOptions}: execution
 * provider, threads, batch sizes). Reads graph input/output names from {@link org.sonarllm.onnx.graph};
 * the searches, the cache and the session helpers are package-private.
 */
package org.sonarllm.onnx.runtime;
