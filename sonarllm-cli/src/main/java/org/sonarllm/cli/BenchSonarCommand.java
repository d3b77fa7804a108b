package org.sonarllm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.sonarllm.model.SonarConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm bench-sonar --tokenizer DIR [--work DIR] [--d 512] ...}: generates a random
 * SONAR-shaped model, converts it and measures encoder/decoder speed; one JSON line per measurement.
 *
 * <pre>{@code
 * ./sonarllm bench-sonar --tokenizer tiny-a/tokenizer --work /tmp/bench
 * }</pre>
 */
@Command(name = "bench-sonar", mixinStandardHelpOptions = true,
        description = "Benchmark the SONAR encoder/decoder on a random SONAR-shaped model: one JSON line per measurement.")
final class BenchSonarCommand extends CliCommand {
    @Option(names = "--tokenizer", required = true, paramLabel = "DIR", description = "Tokenizer directory for the bundle.")
    Path tokenizer;

    @Option(names = "--work", paramLabel = "DIR", description = "Working directory (reused between runs; default: a new temp dir).")
    Path work;

    @Option(names = "--d", defaultValue = "512", description = "d_model (default: ${DEFAULT-VALUE}).")
    int d;

    @Option(names = "--heads", defaultValue = "8", description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--ffn", defaultValue = "2048", description = "FFN size (default: ${DEFAULT-VALUE}).")
    int ffn;

    @Option(names = "--layers", defaultValue = "6", description = "Encoder and decoder layers (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--vocab", defaultValue = "32000", description = "Vocabulary (default: ${DEFAULT-VALUE}).")
    int vocab;

    @Option(names = "--threads", defaultValue = "0", description = "Intra-op threads, 0 = default (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--max-tokens", defaultValue = "32", description = "Tokens per decoded sentence (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--quick", description = "One repetition per measurement.")
    boolean quick;

    @Override
    protected int run() throws Exception {
        if (!Files.isDirectory(tokenizer)) {
            throw new UsageException("tokenizer directory not found: " + tokenizer);
        }
        Path w = work != null ? Files.createDirectories(work) : Files.createTempDirectory("bench-sonar");
        SonarBenchmark.run(new SonarBenchmark.Config(tokenizer, w,
                new SonarConfig(d, vocab, layers, layers, heads, heads, ffn, ffn, 1024), threads, maxTokens, quick),
                row -> {
                    json().write(row);
                    main.out.flush();
                });
        return 0;
    }
}
