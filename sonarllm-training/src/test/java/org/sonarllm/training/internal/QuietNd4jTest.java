package org.sonarllm.training.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.training.TrainingConfig;
import org.sonarllm.training.TrainingFixtures;
import org.sonarllm.training.TrainingListener;
import org.sonarllm.training.data.Dataset;
import org.sonarllm.training.lm.ConceptLMTrainer;

/**
 * A library user's application gets no ND4J / SameDiff console output: an application that imports the
 * bundle's decoder and trains a concept LM for two steps (the run that printed several hundred lines of
 * graph summaries and "Unable to resolve attribute" / "Added differentiated op" lines) writes only its own
 * line to stdout, and stderr holds SLF4J log lines only (here the simple binding at INFO); what SameDiff
 * printed arrives at the {@value Nd4jOutput#LOGGER} logger at DEBUG.
 */
class QuietNd4jTest {
    @TempDir
    Path tmp;

    /** The application: trains through the imported decoder, prints one line of its own, and a line from another thread. */
    public static final class App {
        public static void main(String[] args) throws Exception {
            ConceptLMTrainer t = ConceptLMTrainer.builder().model(TrainingFixtures.small(64))
                    .decoder(TrainingFixtures.decoder())
                    .training(TrainingConfig.defaults().withSteps(2).withBatchSize(2).withCheckpointEvery(2))
                    .outputDir(Path.of(args[0])).build();
            Thread other = new Thread(() -> {
                Nd4jOutput.quietly(() -> { }); // overlapping use from another thread must not capture this app's lines
                System.out.println("app thread line");
            });
            other.start();
            other.join();
            t.train(new Dataset(TrainingFixtures.docs(4, 64, 1), List.of()), TrainingListener.NONE);
            System.out.println("app done");
        }
    }

    @Test
    void applicationOutputIsItsOwn() throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path args = tmp.resolve("cp.args");
        Files.writeString(args, "-cp \"" + cp.replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n", StandardCharsets.UTF_8);
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("err.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info", "@" + args, App.class.getName(),
                tmp.resolve("run").toString()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "application did not finish");
        List<String> errLines = Files.readAllLines(err);
        assertEquals(0, p.exitValue(), String.join("\n", errLines));
        assertEquals(List.of("app thread line", "app done"), Files.readAllLines(out));
        List<String> notLogged = new ArrayList<>();
        for (String l : errLines) {
            if (!l.isBlank() && !l.matches("^\\[[^\\]]+\\] (ERROR|WARN|INFO) \\S+ - .*")) {
                notLogged.add(l);
            }
        }
        assertEquals(List.of(), notLogged, "console output that did not go through SLF4J");
        assertTrue(errLines.stream().noneMatch(l -> l.contains("Added differentiated op")
                || l.contains("Unable to resolve attribute")), "SameDiff lines above DEBUG");
    }
}
