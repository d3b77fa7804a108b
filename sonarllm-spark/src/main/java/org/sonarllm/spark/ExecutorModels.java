package org.sonarllm.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.encode.ConceptEncoder;
import org.sonarllm.onnx.runtime.RuntimeOptions;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * One loaded bundle per JVM and configuration: every task an executor runs shares one ONNX Runtime
 * encoder session (sessions accept concurrent runs) and one tokenizer. Loading happens on the first
 * task that needs it; the models stay loaded until {@link #closeAll()} or JVM exit.
 *
 * <p>This is the module's only call into {@code sonarllm-onnx} ({@link SonarLlm#load}); everything
 * else uses the core interfaces. Thread-safe.
 *
 * <pre>{@code
 * ExecutorModels.Loaded m = ExecutorModels.get(Path.of("bundle"), 1, 32);
 * List<float[]> v = m.encoder().encode(List.of("Hello."), Language.ENGLISH);
 * }</pre>
 */
final class ExecutorModels {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorModels.class);
    private static final Map<String, Loaded> LOADED = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorModels::closeAll, "sonarllm-models-close"));
    }

    /**
     * The models of one bundle.
     *
     * @param encoder the SONAR encoder
     * @param tokenizer the bundle's tokenizer
     * @param owner closes both
     */
    record Loaded(ConceptEncoder encoder, SonarTokenizer tokenizer, AutoCloseable owner) {}

    private ExecutorModels() {}

    /**
     * @param bundle a local bundle directory
     * @param intraOpThreads threads per encoder run
     * @param batchSize sentences per encoder run
     * @return the models, loaded on first use in this JVM
     */
    static Loaded get(Path bundle, int intraOpThreads, int batchSize) {
        String key = bundle.toAbsolutePath().normalize() + "|" + intraOpThreads + "|" + batchSize;
        return LOADED.computeIfAbsent(key, k -> {
            long t0 = System.nanoTime();
            SonarLlm llm = SonarLlm.load(bundle, RuntimeOptions.builder().intraOpThreads(intraOpThreads)
                    .encoderBatchSize(batchSize).build());
            LOG.info("loaded {} in {} ms ({} intra-op threads)", bundle, (System.nanoTime() - t0) / 1_000_000, intraOpThreads);
            return new Loaded(llm.encoder(), llm.tokenizer(), llm);
        });
    }

    /** Closes every loaded bundle (local mode: the driver calls it when the job is done). Idempotent. */
    static void closeAll() {
        List<Loaded> all = new ArrayList<>(LOADED.values());
        LOADED.clear();
        for (Loaded l : all) {
            try {
                l.owner().close();
            } catch (Exception e) {
                LOG.warn("error closing a bundle: {}", e.getMessage());
            }
        }
    }
}
