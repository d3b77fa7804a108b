package org.sonarllm.spark;

import org.sonarllm.InvalidInputException;
import org.sonarllm.SonarLlmException;

/**
 * The error line and exit code for an exception that ended a Spark command: the project's own
 * exception is looked for through Spark's wrappers (a task failure reaches the driver as a
 * {@code SparkException} whose cause, or at least whose message, carries the task's exception).
 *
 * @param message the message to print after {@code error: }
 * @param exitCode 2 for bad input ({@link InvalidInputException}), 1 otherwise
 */
record Failure(String message, int exitCode) {
    private static final String INVALID = InvalidInputException.class.getName() + ": ";
    private static final String OWN = "org.sonarllm.";

    /** @param e what was thrown @return the line and code */
    static Failure of(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof InvalidInputException) {
                return new Failure(t.getMessage(), 2);
            }
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SonarLlmException) {
                return new Failure(t.getMessage(), 1);
            }
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            int i = m == null ? -1 : m.indexOf(INVALID);
            if (i >= 0) {
                return new Failure(firstLine(m.substring(i + INVALID.length())), 2);
            }
            int j = m == null ? -1 : m.indexOf(OWN);
            if (j >= 0 && m.indexOf("Exception: ", j) > 0) {
                return new Failure(firstLine(m.substring(m.indexOf("Exception: ", j) + "Exception: ".length())), 1);
            }
        }
        String m = e.getMessage();
        return new Failure(m == null ? e.toString() : firstLine(m), 1);
    }

    private static String firstLine(String s) {
        int n = s.indexOf('\n');
        return (n < 0 ? s : s.substring(0, n)).strip();
    }
}
