package org.sonarllm.spark;

import java.util.List;

/**
 * A document before segmentation.
 *
 * @param id the input's {@code id} field, else {@code file:line} (Parquet: {@code file:row}, 1-based)
 * @param text the text (null when {@code sentences} is given)
 * @param sentences pre-split sentences (null when {@code text} is given)
 */
record RawDocument(String id, String text, List<String> sentences) {}
