/** The 202 SONAR / NLLB languages ({@link org.sonarllm.lang.Language}). */
package org.sonarllm.lang;
