/**
 * Checkpoint conversion into model bundles: {@link org.sonarllm.onnx.convert.SonarConverter} (Hugging
 * Face M2M100 SONAR encoder/decoder + NLLB tokenizer), {@link
 * org.sonarllm.onnx.convert.ConceptLmConverter} (a SONAR-LLM checkpoint into the {@code concept_lm}
 * component) and {@link org.sonarllm.onnx.convert.RandomSonarCheckpoint} (random weights at any size,
 * for tests and benchmarks). Uses {@link org.sonarllm.onnx.weights} and {@link
 * org.sonarllm.onnx.graph} only: the encoder that embeds the end-of-sequence sentence is handed in
 * ({@link org.sonarllm.onnx.convert.SonarConverter.EncoderOpener}), never booted here.
 */
package org.sonarllm.onnx.convert;
