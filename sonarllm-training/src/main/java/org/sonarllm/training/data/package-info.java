/** Corpus reading, segmentation, encoding and the on-disk embedding cache. */
package org.sonarllm.training.data;
