/**
 * The model bundle: one directory holding a {@code manifest.json} ({@link
 * org.sonarllm.bundle.BundleManifest}), the ONNX graphs and the tokenizer files. {@link
 * org.sonarllm.bundle.Bundle#open} validates it; {@link org.sonarllm.bundle.BundleWriter} creates or
 * extends one. The format is documented in {@code docs/model-format.md}.
 */
package org.sonarllm.bundle;
