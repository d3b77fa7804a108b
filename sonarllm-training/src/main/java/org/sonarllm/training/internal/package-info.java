/** Implementation details (safetensors reading); not API. */
package org.sonarllm.training.internal;
