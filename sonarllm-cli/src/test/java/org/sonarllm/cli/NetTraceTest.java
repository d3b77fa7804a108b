package org.sonarllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link NetTrace} on lines recorded from real strace runs (see NetworkSilenceTest). */
class NetTraceTest {
    /** The JDK's libnet probes (any JVM whose NIO reads a file) and glibc's nscd lookup: no internet use. */
    private static final List<String> JDK = List.of(
            "32059 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0) = 4",
            "32059 connect(4, {sa_family=AF_UNIX, sun_path=\"/var/run/nscd/socket\"}, 110) = -1 ENOENT (No such file"
                    + " or directory)",
            "32059 --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---",
            "32059 socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 5",
            "32059 socket(AF_INET6, SOCK_STREAM, IPPROTO_IP) = 5",
            "32059 getsockname(0, 0x7f88b6ffd060, [28]) = -1 ENOTSOCK (Socket operation on non-socket)",
            "32059 socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 5",
            "32059 setsockopt(5, SOL_SOCKET, SO_REUSEPORT, [1], 4) = 0",
            "32059 socketpair(AF_UNIX, SOCK_STREAM, 0, [5, 6]) = 0",
            "32059 +++ exited with 0 +++");

    /** DJL's SentencePiece loading (the code this project replaced): a probe of the cloud metadata address. */
    private static final List<String> DJL = List.of(
            "9415  socket(AF_INET6, SOCK_STREAM, IPPROTO_IP) = 120",
            "9415  setsockopt(120, SOL_IPV6, IPV6_V6ONLY, [0], 4) = 0",
            "9415  connect(120, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6,"
                    + " \"::ffff:169.254.169.254\", &sin6_addr), sin6_scope_id=0}, 28) = -1 EINPROGRESS (Operation now in"
                    + " progress)",
            "9415  getsockopt(120, SOL_SOCKET, SO_ERROR, [0], [4]) = 0",
            "9415  shutdown(120, SHUT_WR)            = 0");

    @Test
    void jdkProbesAreNotViolationsButAreListed() {
        NetTrace t = new NetTrace(JDK);
        assertEquals(List.of(), t.violations());
        assertEquals(List.of("socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = FD", "socket(AF_INET6, SOCK_STREAM, IPPROTO_IP) = FD",
                "socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = FD"), t.internetSockets());
    }

    @Test
    void djlMetadataProbeIsAViolation() {
        NetTrace t = new NetTrace(DJL);
        assertEquals(List.of(DJL.get(2), DJL.get(4)), t.violations());
        assertEquals(List.of("socket(AF_INET6, SOCK_STREAM, IPPROTO_IP) = FD"), t.internetSockets());
    }

    @Test
    void splitCallsAndAddresslessSendsOnInternetSocketsAreViolations() {
        List<String> lines = List.of(
                "700 socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP <unfinished ...>",
                "701 socket(AF_UNIX, SOCK_STREAM, 0) = 9",
                "700 <... socket resumed>) = 7",
                "700 sendto(7, \"\\253\\315\\1\\0\", 36, MSG_NOSIGNAL, NULL, 0) = 36",
                "701 sendto(9, \"x\", 1, 0, NULL, 0) = 1",
                "702 bind(8, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr(\"127.0.0.1\")}, 16 <unfinished"
                        + " ...>",
                "702 <... bind resumed>) = 0");
        NetTrace t = new NetTrace(lines);
        assertEquals(List.of(lines.get(3), lines.get(5)), t.violations());
        assertEquals(List.of("socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = FD"),
                t.internetSockets());
    }
}
