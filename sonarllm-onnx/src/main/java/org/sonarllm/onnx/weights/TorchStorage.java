package org.sonarllm.onnx.weights;

/**
 * A storage named by a persistent id {@code ('storage', type, key, location, numel)}: the zip entry
 * {@code <archive>/data/<key>} holds {@code numel} elements of {@code dtype}. Several tensors may
 * share one storage (tied weights, views).
 *
 * @param dtype element type, or null for a storage class this reader does not know
 * @param typeName the pickled storage type, for messages
 * @param key the zip entry's key
 * @param location the device it was saved from ("cpu", "cuda:0", ...), informational only
 * @param numel number of elements
 */
record TorchStorage(TorchDType dtype, String typeName, String key, String location, long numel) {}
