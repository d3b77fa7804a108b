package org.sonarllm.cli;

import java.io.PrintStream;

/**
 * Base of commands that run ND4J SameDiff. SameDiff prints progress ("Added differentiated op ...")
 * with {@code System.out}; while such a command runs, {@code System.out} is pointed at stderr so
 * that stdout carries only the command's JSON lines.
 */
abstract class Nd4jCommand extends CliCommand {
    @Override
    protected final int run() throws Exception {
        PrintStream stdout = System.out;
        System.setOut(System.err);
        try {
            return body();
        } finally {
            System.setOut(stdout);
        }
    }

    /**
     * The command itself, run with {@code System.out} redirected to stderr.
     *
     * @return the exit code
     * @throws Exception on failure (reported by {@link CliCommand})
     */
    protected abstract int body() throws Exception;
}
