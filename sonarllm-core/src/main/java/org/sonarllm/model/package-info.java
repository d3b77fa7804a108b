/**
 * The model families and their one configuration record each: {@link org.sonarllm.model.SonarConfig}
 * (the SONAR encoder/decoder pair, M2M100 layout) and {@link org.sonarllm.model.ConceptLMConfig} (the
 * SONAR-LLM concept LM: Llama blocks between two projections). Each record has the one parser of its
 * checkpoint config, the one writer, and the position encodings of its family (sinusoids, RoPE), which
 * conversion, the ONNX graphs and training all use.
 */
package org.sonarllm.model;
