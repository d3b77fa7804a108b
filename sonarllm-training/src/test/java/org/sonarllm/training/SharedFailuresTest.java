package org.sonarllm.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.training.data.Dataset;
import org.sonarllm.training.lm.ConceptLMTrainer;
import org.sonarllm.training.model.Batch;
import org.sonarllm.training.model.Objective;
import org.sonarllm.training.sonar.AutoencoderTrainer;

/**
 * The failures both tasks share raise the same exception type with the same message shape, through the
 * one loop: a mismatched checkpoint, a corrupt or truncated one (nothing in the output directory is
 * changed by either), a diverged loss, an empty corpus.
 */
class SharedFailuresTest {
    @TempDir
    Path tmp;

    /** A task behind one function: settings in, a finished (or failed) run out. */
    private interface Run extends Function<TrainingConfig, TrainingResult> {}

    private Run conceptLm(Path dir, Dataset data, boolean resume) {
        return t -> ConceptLMTrainer.builder().model(TrainingFixtures.small(64)).objective(Objective.MSE).training(t)
                .outputDir(dir).resume(resume).build().train(data, TrainingListener.NONE);
    }

    private Run autoencoder(Path dir, boolean resume) {
        Path corpus = TrainingFixtures.novel(tmp.resolve("corpus"));
        return t -> new AutoencoderTrainer(TrainingFixtures.autoencoder(corpus, dir, 100), t, resume).train(TrainingListener.NONE);
    }

    private static Dataset mseData() {
        return new Dataset(TrainingFixtures.docs(3, 64, 5).stream().map(d -> new Batch.Document(d.embeddings(), null)).toList(),
                List.of());
    }

    private static TrainingConfig twoSteps() {
        return TrainingConfig.defaults().withSteps(2).withBatchSize(2).withLearningRate(1e-3, 1e-4, 0).withCheckpointEvery(1);
    }

    @Test
    void mismatchedAndCorruptCheckpointsFailAlikeInBothTasksAndTouchNothing() throws IOException {
        checkpointFailures(tmp.resolve("lm"), dir -> conceptLm(dir, mseData(), false), dir -> conceptLm(dir, mseData(), true));
        checkpointFailures(tmp.resolve("ae"), dir -> autoencoder(dir, false), dir -> autoencoder(dir, true));
    }

    private static void checkpointFailures(Path dir, Function<Path, Run> fresh, Function<Path, Run> resumed)
            throws IOException {
        fresh.apply(dir).apply(twoSteps());
        Path ck = dir.resolve(TrainingLoop.CHECKPOINT);
        List<String> metrics = Files.readAllLines(dir.resolve("metrics.csv"));
        assertEquals(3, metrics.size());

        CheckpointMismatchException mismatch = assertThrows(CheckpointMismatchException.class,
                () -> resumed.apply(dir).apply(twoSteps().withBatchSize(3)));
        assertEquals("mismatched checkpoint " + ck + ": expected batch size 2, found 3", mismatch.getMessage());

        byte[] bytes = Files.readAllBytes(ck);
        byte[] flipped = bytes.clone();
        flipped[bytes.length / 2] ^= 0x40;
        Files.write(ck, flipped);
        CorruptCheckpointException corrupt = assertThrows(CorruptCheckpointException.class,
                () -> resumed.apply(dir).apply(twoSteps()));
        assertTrue(corrupt.getMessage().startsWith("corrupt checkpoint " + ck + ": expected CRC "), corrupt.getMessage());

        Files.write(ck, java.util.Arrays.copyOf(bytes, bytes.length / 3));
        CorruptCheckpointException truncated = assertThrows(CorruptCheckpointException.class,
                () -> resumed.apply(dir).apply(twoSteps()));
        assertTrue(truncated.getMessage().startsWith("corrupt checkpoint " + ck + ": expected "), truncated.getMessage());
        assertEquals(metrics, Files.readAllLines(dir.resolve("metrics.csv")));

        Files.write(ck, bytes);
        TrainingResult r = resumed.apply(dir).apply(twoSteps()); // the restored checkpoint resumes (at its end)
        assertEquals(2, r.steps());
        assertEquals(metrics, Files.readAllLines(dir.resolve("metrics.csv")));
    }

    @Test
    void aDivergedLossFailsAlikeInBothTasksBeforeTheUpdate() {
        // A learning rate of 1e30 moves every weight by about 1e30 in the first step; the second loss overflows.
        TrainingConfig huge = twoSteps().withLearningRate(1e30, 1e30, 0).withSteps(3).withClipNorm(Double.POSITIVE_INFINITY);
        for (Path dir : List.of(tmp.resolve("lm"), tmp.resolve("ae"))) {
            Run run = dir.endsWith("lm") ? conceptLm(dir, mseData(), false) : autoencoder(dir, false);
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> run.apply(huge));
            assertTrue(e.getMessage().matches("training diverged: expected a finite loss, found (NaN|-?Infinity) at step "
                    + e.step() + " \\(lower the learning rate\\)"), e.getMessage());
            assertTrue(e.step() >= 2 && !Double.isFinite(e.loss()), e.getMessage());
            // the diverged step was not applied: metrics and checkpoint end at the step before it
            assertEquals(e.step() - 1, lastStep(dir), dir.toString());
            assertEquals(e.step() - 1, Checkpoint.read(dir.resolve(TrainingLoop.CHECKPOINT)).step(), dir.toString());
        }
    }

    private static long lastStep(Path dir) {
        try {
            List<String> rows = Files.readAllLines(dir.resolve("metrics.csv"));
            return Long.parseLong(rows.get(rows.size() - 1).split(",")[0]);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void anEmptyCorpusFailsAlikeInBothTasks() throws IOException {
        EmptyCorpusException lm = assertThrows(EmptyCorpusException.class,
                () -> conceptLm(tmp.resolve("lm"), new Dataset(List.of(), List.of()), false).apply(twoSteps()));
        assertEquals("empty corpus: expected at least one training document, found none", lm.getMessage());

        Path blank = Files.createDirectories(tmp.resolve("blank"));
        Files.writeString(blank.resolve("empty.txt"), "\n\n   \n");
        EmptyCorpusException ae = assertThrows(EmptyCorpusException.class, () -> new AutoencoderTrainer(
                TrainingFixtures.autoencoder(blank, tmp.resolve("ae"), 100), twoSteps(), false));
        assertEquals("empty corpus: expected at least one training sentence, found none of at most 30 tokens among 0 "
                + "sentences read from " + blank, ae.getMessage());
    }
}
