/** Implementation details (checkpoint and metrics files, safetensors reading); not API. */
package org.sonarllm.training.internal;
