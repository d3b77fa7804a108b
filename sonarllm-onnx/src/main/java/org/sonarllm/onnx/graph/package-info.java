/**
 * Every ONNX graph this SDK writes, with its input/output names: the builder ({@link
 * org.sonarllm.onnx.graph.OnnxGraphBuilder}, {@link org.sonarllm.onnx.graph.NnBlocks}), the SONAR
 * encoder ({@link org.sonarllm.onnx.graph.SonarEncoderGraph}), the incremental and cross decoder graphs
 * ({@link org.sonarllm.onnx.graph.SonarDecoderGraph}), the teacher-forcing decoder training imports
 * ({@link org.sonarllm.onnx.graph.TeacherForcingDecoderGraph}) and the concept LM ({@link
 * org.sonarllm.onnx.graph.ConceptLmGraph}). Builds graphs from {@link org.sonarllm.onnx.weights};
 * runs nothing.
 */
package org.sonarllm.onnx.graph;
