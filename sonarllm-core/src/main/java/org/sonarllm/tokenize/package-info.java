/**
 * Step 2 of the pipeline: sentences to token ids in the SONAR / NLLB layout ({@link
 * org.sonarllm.tokenize.SonarTokenizer}).
 *
 * <pre>{@code
 * try (SonarTokenizer tok = SonarTokenizer.load(Path.of("tokenizer"))) {
 *     int[] ids = tok.encoderIds("Hello.", Language.ENGLISH);
 * }
 * }</pre>
 */
package org.sonarllm.tokenize;
