package org.sonarllm.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.onnx.SonarLlm;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * Base of every subcommand: access to stdin/stdout and the JSON-lines writer, and the
 * {@code --verbose} flag. Subclasses are annotated with {@code @Command(name = ...,
 * mixinStandardHelpOptions = true)}, implement {@link #run()} and are listed in {@link Main#COMMANDS}.
 *
 * <pre>{@code
 * @Command(name = "shout", mixinStandardHelpOptions = true, description = "Upper-cases stdin.")
 * final class ShoutCommand extends CliCommand {
 *     protected int run() {
 *         json().write(java.util.Map.of("text", stdinText().toUpperCase()));
 *         return 0;
 *     }
 * }
 * }</pre>
 */
public abstract class CliCommand implements Callable<Integer> {
    @ParentCommand Main main;

    @Option(names = "--verbose", description = "Print stack traces and debug logging.")
    boolean verbose;

    private JsonLines json;

    /** @return the exit code (0 on success) */
    protected abstract int run() throws Exception;

    /**
     * @param beam 1 = greedy, else beam search of that width
     * @param maxTokens most tokens per sentence
     * @return the decoding options of the evaluation and benchmark commands' {@code --beam}
     */
    static DecodingOptions decoding(int beam, int maxTokens) {
        return (beam == 1 ? DecodingOptions.greedy() : DecodingOptions.beam(beam)).withMaxTokens(maxTokens);
    }

    /**
     * @param llm a loaded bundle
     * @return the default token limit within the decoder's positions:
     *     {@code min(DecodingOptions.DEFAULT_MAX_TOKENS, maxPositions - 2)}, at least 1
     */
    static int defaultMaxTokens(SonarLlm llm) {
        return Math.max(1, Math.min(DecodingOptions.DEFAULT_MAX_TOKENS, llm.manifest().dimensions().maxPositions() - 2));
    }

    @Override
    public final Integer call() throws Exception {
        try {
            return run();
        } finally {
            main.out.flush();
        }
    }

    /** @return the writer of JSON lines on stdout */
    protected JsonLines json() {
        if (json == null) {
            json = new JsonLines(main.out);
        }
        return json;
    }

    /** @return all of stdin decoded as UTF-8 (malformed bytes become U+FFFD) */
    protected String stdinText() {
        try {
            return new String(main.in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stdin: " + e.getMessage(), e);
        }
    }

    /** @return stdin as UTF-8 lines (without terminators; {@code \r\n} and {@code \n} both end a line) */
    protected BufferedReader stdinLines() {
        return new BufferedReader(new InputStreamReader(main.in, StandardCharsets.UTF_8), 1 << 16);
    }

    /** @return standard error, for progress or warnings that are not results */
    protected java.io.PrintStream stderr() {
        return main.err;
    }
}
