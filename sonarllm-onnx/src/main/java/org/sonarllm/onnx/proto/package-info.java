/**
 * The ONNX protobuf messages ({@code onnx.proto}, generated at build time) that {@link
 * org.sonarllm.onnx.graph.OnnxGraphBuilder} writes. Internal: nothing outside sonarllm-onnx's graph
 * package and tests uses them.
 */
package org.sonarllm.onnx.proto;
