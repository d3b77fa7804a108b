package org.sonarllm.training.sonar;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Bench entry point (not a unit test; skipped unless {@code -Dsonarllm.bench.out} or
 * {@code -Dsonarllm.bench.bundle} is given): converts a trained autoencoder and evaluates it.
 * <pre>
 * mvn -B -o -q -pl sonarllm-training -am test -Dtest=DefaultModelBench -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dsonarllm.bench.out=$PWD/runs/ae -Dsonarllm.bench.bundle=$PWD/runs/ae-bundle -Dsonarllm.bench.report=$PWD/runs/ae-eval.json
 * </pre>
 * (Runs under Surefire because a plain {@code java -cp} launch with this module's full classpath crashed
 * ONNX Runtime natively on the project machine; see docs/default-model.md.)
 */
class DefaultModelBench {
    @Test
    @EnabledIfSystemProperty(named = "sonarllm.bench.bundle", matches = ".+")
    void convertAndEvaluate() {
        Path bundle = Path.of(System.getProperty("sonarllm.bench.bundle"));
        String out = System.getProperty("sonarllm.bench.out");
        if (out != null && !out.isBlank()) {
            AutoencoderEval.bundle(Path.of(out), bundle);
        }
        Map<String, String> a = new HashMap<>();
        a.put("bundle", bundle.toString());
        a.put("heldout", System.getProperty("sonarllm.bench.heldout", Path.of("../data/austen/persuasion.txt").toString()));
        a.put("n", System.getProperty("sonarllm.bench.n", "500"));
        a.put("report", System.getProperty("sonarllm.bench.report", bundle.resolveSibling("eval.json").toString()));
        AutoencoderEval.main(a);
    }
}
