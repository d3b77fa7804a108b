package org.sonarllm.cli;

import java.io.PrintStream;
import org.sonarllm.InvalidInputException;
import picocli.CommandLine;

/**
 * Turns exceptions into the tool's error contract: one line {@code error: <message>} on stderr,
 * exit code 2 for bad usage or input ({@link CommandLine.ParameterException}, {@link
 * InvalidInputException} and its subclasses, {@link UsageException}), 1 for anything else; the
 * stack trace only in verbose mode.
 */
final class CliErrors {
    static final int BAD_INPUT = 2;
    static final int FAILURE = 1;

    private CliErrors() {}

    static int report(Exception ex, boolean verbose, PrintStream err) {
        Throwable t = ex;
        if (t instanceof java.io.UncheckedIOException && t.getCause() != null && t.getMessage() == null) {
            t = t.getCause();
        }
        boolean bad = t instanceof CommandLine.ParameterException || t instanceof InvalidInputException
                || t instanceof UsageException;
        String msg = t.getMessage();
        if (msg == null || msg.isBlank() || !(bad || t instanceof org.sonarllm.SonarLlmException)) {
            msg = msg == null || msg.isBlank() ? t.getClass().getName() : t.getClass().getSimpleName() + ": " + msg;
        }
        if (t instanceof CommandLine.ParameterException pe) {
            msg = msg + " (see: " + pe.getCommandLine().getCommandSpec().qualifiedName() + " --help)";
        }
        err.println("error: " + oneLine(msg));
        if (verbose) {
            t.printStackTrace(err);
        }
        err.flush();
        return bad ? BAD_INPUT : FAILURE;
    }

    static String oneLine(String s) {
        return s.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
