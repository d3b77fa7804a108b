package org.sonarllm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.runtime.RuntimeOptions;
import picocli.CommandLine.Option;

/**
 * Options shared by the commands that load a model bundle: {@code --model}, {@code --provider},
 * {@code --threads}, {@code --batch-size}.
 *
 * <pre>{@code
 * @CommandLine.Mixin RuntimeMixin runtime;
 * try (SonarLlm llm = runtime.load()) { ... }
 * }</pre>
 */
public final class RuntimeMixin {
    @Option(names = "--model", required = true, paramLabel = "BUNDLE", description = "Model bundle directory.")
    Path model;

    @Option(names = "--provider", defaultValue = "CPU",
            description = "Execution provider: CPU, CUDA (falls back to CPU if CUDA cannot start) or AUTO "
                    + "(default: ${DEFAULT-VALUE}).")
    RuntimeOptions.Provider provider;

    @Option(names = "--threads", defaultValue = "0",
            description = "Intra-op threads; 0 lets ONNX Runtime choose (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--batch-size", defaultValue = "32",
            description = "Sentences (encode) or embeddings (decode) run together (default: ${DEFAULT-VALUE}).")
    int batchSize;

    /** @return the loaded bundle */
    SonarLlm load() {
        if (!Files.isDirectory(model)) {
            throw new UsageException("model bundle directory not found: " + model);
        }
        return SonarLlm.load(model, RuntimeOptions.builder().provider(provider).intraOpThreads(threads)
                .encoderBatchSize(Math.max(1, batchSize)).decoderBatchSize(Math.max(1, batchSize))
                // a command creates only the sessions it uses (encode: the encoder's)
                .lazySessions(true).build());
    }
}
