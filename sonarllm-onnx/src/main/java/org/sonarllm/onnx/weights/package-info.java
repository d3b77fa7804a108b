/**
 * Reading and writing checkpoint tensors: {@link org.sonarllm.onnx.weights.SafeTensors} (memory-mapped
 * reader), {@link org.sonarllm.onnx.weights.SafeTensorsWriter} (the one writer, atomic and streaming)
 * and {@link org.sonarllm.onnx.weights.M2M100Weights} (one side of a Hugging Face M2M100 checkpoint,
 * its shape read by {@link org.sonarllm.model.SonarConfig#fromHf}). Depends on core only.
 */
package org.sonarllm.onnx.weights;
