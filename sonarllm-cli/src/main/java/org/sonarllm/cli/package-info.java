/**
 * The {@code sonarllm} command-line tool ({@link org.sonarllm.cli.Main}, run by {@code ./sonarllm}): one
 * picocli command per job (segment, tokenize, convert, encode, decode, generate, train, eval-loss,
 * eval-next and the benchmarks), JSON lines on stdout, one {@code error:} line on stderr. The only
 * module with a logging binding (the libraries log through the SLF4J API alone).
 */
package org.sonarllm.cli;
