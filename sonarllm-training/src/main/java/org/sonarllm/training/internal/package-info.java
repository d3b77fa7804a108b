/** Implementation details (safetensors reading, native thread settings); not API. */
package org.sonarllm.training.internal;
