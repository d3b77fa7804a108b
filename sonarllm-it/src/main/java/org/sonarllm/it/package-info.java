/**
 * Integration tests' consumer application ({@link org.sonarllm.it.ConsumerApp}): a program that depends
 * on sonarllm-core at compile time and finds the ONNX runtime and the default model on its class path.
 */
package org.sonarllm.it;
