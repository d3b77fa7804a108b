package org.sonarllm.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code sonarllm} command-line tool. Every subcommand reads stdin and writes one JSON object
 * per line on stdout; errors are one line {@code error: <message>} on stderr with exit code 2 (bad
 * usage or input) or 1 (anything else), with a stack trace only under {@code --verbose}.
 *
 * <pre>{@code
 * echo "Mr. Darcy left at 5 p.m. on Jan. 3rd. He came back." | ./sonarllm segment --lang eng_Latn
 * int exit = Main.run(new String[] {"segment"}, stdin, stdout, stderr); // programmatic use (tests)
 * }</pre>
 *
 * <p>To add a command, write a {@link CliCommand} subclass annotated with {@code @Command} and add
 * its class to {@link #COMMANDS}.
 */
@Command(name = "sonarllm", mixinStandardHelpOptions = true, version = "sonarllm 0.1.0-SNAPSHOT",
        description = "SONAR-LLM tools: text in on stdin, one JSON object per line out on stdout.")
public final class Main implements Callable<Integer> {
    /** Every subcommand, in help order. Adding a command is one line here. */
    static final List<Class<? extends CliCommand>> COMMANDS = List.of(
            SegmentCommand.class,
            TokenizeCommand.class,
            ConvertCommand.class,
            EncodeCommand.class,
            DecodeCommand.class,
            GenerateCommand.class,
            BenchCommand.class,
            BenchGenerateCommand.class,
            BenchBatchCommand.class,
            TrainCommand.class,
            EvalLossCommand.class,
            EvalNextCommand.class,
            EvalRepetitionCommand.class,
            EvalGenerationCommand.class,
            BenchTrainCommand.class,
            TrainSpaceCommand.class,
            EvalSpaceCommand.class);

    @Option(names = "--verbose", description = "Print stack traces and debug logging.")
    boolean verbose;

    final InputStream in;
    final PrintStream out;
    final PrintStream err;

    private Main(InputStream in, PrintStream out, PrintStream err) {
        this.in = in;
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(new CommandLine(this),
                "missing command (one of: " + String.join(", ", commandNames()) + ")");
    }

    /**
     * Runs the tool without exiting the JVM.
     *
     * @param args command-line arguments
     * @param in standard input
     * @param out standard output (written as UTF-8)
     * @param err standard error (written as UTF-8)
     * @return the exit code: 0 success, 2 bad usage or input, 1 other failure
     */
    public static int run(String[] args, InputStream in, OutputStream out, OutputStream err) {
        PrintStream o = new PrintStream(out, false, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        Main main = new Main(in, o, e);
        CommandLine cl = new CommandLine(main);
        for (Class<? extends CliCommand> c : COMMANDS) {
            cl.addSubcommand(c);
        }
        cl.setOut(new java.io.PrintWriter(o, true));
        cl.setErr(new java.io.PrintWriter(e, true));
        cl.setParameterExceptionHandler((ex, a) -> CliErrors.report(ex, main.verbose || verboseIn(a), e));
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            boolean verbose = main.verbose
                    || (cmd.getCommand() instanceof CliCommand c && c.verbose)
                    || verboseIn(args);
            return CliErrors.report(ex, verbose, e);
        });
        int code = cl.execute(args);
        o.flush();
        e.flush();
        return code;
    }

    /** Entry point of the {@code ./sonarllm} launcher. */
    public static void main(String[] args) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verboseIn(args) ? "debug" : "warn");
        }
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        if (!verboseIn(args) && System.getProperty("org.slf4j.simpleLogger.log.org.nd4j") == null) {
            // ND4J's importer warns about properties it cannot map on every graph it imports: not our user's concern
            System.setProperty("org.slf4j.simpleLogger.log.org.nd4j", "error");
        }
        OutputStream stdout = new java.io.BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        int code = run(args, System.in, stdout, new FileOutputStream(FileDescriptor.err));
        System.exit(code);
    }

    private static boolean verboseIn(String[] args) {
        return Arrays.asList(args).contains("--verbose");
    }

    static List<String> commandNames() {
        return COMMANDS.stream().map(c -> c.getAnnotation(Command.class).name()).toList();
    }
}
