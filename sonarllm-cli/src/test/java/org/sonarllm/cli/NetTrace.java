package org.sonarllm.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads an {@code strace -f -e trace=network} log (lines {@code PID syscall(args) = result}, possibly
 * split into {@code <unfinished ...>} / {@code <... resumed>} halves across threads) for internet use.
 *
 * <pre>{@code
 * NetTrace t = new NetTrace(Files.readAllLines(traceFile));
 * List<String> bad = t.violations();        // empty if no internet use
 * List<String> created = t.internetSockets(); // e.g. ["socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = FD"]
 * }</pre>
 */
final class NetTrace {
    private static final Pattern CALL =
            Pattern.compile("^(?:\\[pid\\s+)?(\\d+)\\]?\\s+(<\\.\\.\\. )?(\\w+)(?: resumed>)?\\(?(.*)$");
    private static final Pattern RESULT = Pattern.compile("=\\s+(-?\\d+)(?:\\s|$)");
    private static final Pattern FIRST_ARG = Pattern.compile("^(\\d+)[,)]");
    /** Calls that communicate over (or expose) a socket; using one on an internet socket is a violation. */
    private static final Set<String> COMMUNICATING = Set.of("connect", "bind", "listen", "accept", "accept4",
            "sendto", "sendmsg", "sendmmsg", "recvfrom", "recvmsg", "recvmmsg", "shutdown", "getpeername");

    private final List<String> violations = new ArrayList<>();
    private final List<String> internetSockets = new ArrayList<>();

    NetTrace(List<String> lines) {
        Set<Integer> internetFds = new HashSet<>();
        Map<String, String> pendingSocket = new HashMap<>(); // thread -> arguments of its unfinished socket()
        for (String line : lines) {
            Matcher m = CALL.matcher(line);
            if (!m.find()) {
                continue;
            }
            String tid = m.group(1);
            boolean resumed = m.group(2) != null;
            String call = m.group(3);
            String rest = m.group(4);
            if (rest.contains("sa_family=AF_INET")) {
                violations.add(line);
                continue;
            }
            if (call.equals("socket") && rest.contains("<unfinished")) {
                pendingSocket.put(tid, rest.substring(0, rest.indexOf("<unfinished")).strip());
            } else if (call.equals("socket")) {
                String args = resumed ? pendingSocket.remove(tid) + rest : rest;
                Integer fd = result(line);
                boolean inet = args.startsWith("AF_INET");
                if (fd != null) {
                    if (inet) {
                        internetFds.add(fd);
                    } else {
                        internetFds.remove(fd);
                    }
                }
                if (inet) {
                    internetSockets.add(normalize(args));
                }
            } else if (COMMUNICATING.contains(call) && !resumed) {
                Matcher fd = FIRST_ARG.matcher(rest);
                if (fd.find() && internetFds.contains(Integer.parseInt(fd.group(1)))) {
                    violations.add(line);
                }
            }
        }
    }

    private static Integer result(String line) {
        Matcher r = RESULT.matcher(line.substring(line.lastIndexOf(')') + 1));
        return r.find() && !r.group(1).startsWith("-") ? Integer.valueOf(r.group(1)) : null;
    }

    /** {@code AF_INET, SOCK_STREAM, IPPROTO_IP) = 5} -> {@code socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = FD}. */
    private static String normalize(String args) {
        return "socket(" + args.replaceAll("=\\s+\\d+", "= FD").strip();
    }

    /** @return the lines that show internet use: an internet address, or a communicating call on an internet socket */
    List<String> violations() {
        return violations;
    }

    /** @return the internet sockets created, in order, with the file descriptor numbers blanked */
    List<String> internetSockets() {
        return internetSockets;
    }
}
