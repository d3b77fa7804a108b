/**
 * The model bundle: one directory holding a {@code manifest.json} ({@link
 * org.sonarllm.bundle.BundleManifest}), the ONNX graphs and the tokenizer files. {@link
 * org.sonarllm.bundle.Bundle#open} validates it (and {@link org.sonarllm.bundle.Bundle#openTokenizer}
 * loads its tokenizer); {@link org.sonarllm.bundle.BundleWriter} creates or extends one; {@link
 * org.sonarllm.bundle.DefaultBundle} finds the default one ({@code SONARLLM_MODEL} or the class path).
 * The format is documented in {@code docs/model-format.md}.
 */
package org.sonarllm.bundle;
