package org.sonarllm.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.InvalidInputException;
import org.sonarllm.SonarLlmException;
import org.sonarllm.onnx.testing.ChildJvm;
import org.sonarllm.training.data.Dataset;
import org.sonarllm.training.lm.ConceptLMTrainer;
import org.sonarllm.training.model.Batch;
import org.sonarllm.training.model.Objective;

/**
 * Issue 15's guarantees of the one training loop: a folder holding a run is refused without resume or
 * force, force starts over; one run per folder (a lock, also against another process, never blocked by a
 * dead one's lock file); a resume names the first setting (or the data) that differs; resuming a finished
 * run changes nothing and reports its final losses; settings out of range name the given value; a full disk
 * says so with the path.
 */
class RunGuaranteesTest {
    @TempDir
    Path tmp;

    private static Dataset data(long seed) {
        return new Dataset(TrainingFixtures.docs(4, 64, seed).stream().map(d -> new Batch.Document(d.embeddings(), null))
                .toList(), TrainingFixtures.docs(1, 64, seed + 100).stream().map(d -> new Batch.Document(d.embeddings(), null))
                .toList());
    }

    private static TrainingConfig config() {
        return TrainingConfig.defaults().withSteps(4).withBatchSize(2).withLearningRate(1e-3, 1e-4, 1).withCheckpointEvery(2);
    }

    private static TrainingResult train(Path dir, Dataset data, TrainingConfig t, boolean resume, boolean force,
            List<Double> losses) {
        return ConceptLMTrainer.builder().model(TrainingFixtures.small(64)).objective(Objective.MSE).training(t)
                .outputDir(dir).resume(resume).force(force).build().train(data, TrainingFixtures.losses(losses));
    }

    private static List<String> lines(Path f) throws IOException {
        return Files.readAllLines(f);
    }

    @Test
    void aFolderHoldingARunIsRefusedWithoutResumeAndForceStartsOver() throws IOException {
        Path dir = tmp.resolve("run");
        List<Double> first = new ArrayList<>();
        train(dir, data(1), config(), false, false, first);
        List<String> metrics = lines(dir.resolve("metrics.csv"));
        byte[] checkpoint = Files.readAllBytes(dir.resolve(TrainingLoop.CHECKPOINT));
        assertEquals(5, metrics.size());

        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> train(dir, data(1), config().withSteps(2), false, false, new ArrayList<>()));
        assertEquals("expected a work directory without a run, found a run in " + dir + ": continue it with --resume "
                + "(resume(true)) or start over with --force (force(true))", e.getMessage());
        assertEquals(metrics, lines(dir.resolve("metrics.csv")), "nothing touched");
        assertArrayEquals(checkpoint, Files.readAllBytes(dir.resolve(TrainingLoop.CHECKPOINT)));

        List<Double> again = new ArrayList<>();
        TrainingResult r = train(dir, data(1), config(), false, true, again);
        assertEquals(4, r.steps());
        assertEquals(first, again, "force starts over: the same run from step 0");
        assertEquals(metrics.size(), lines(dir.resolve("metrics.csv")).size());
    }

    @Test
    void resumingAFinishedRunChangesNothingAndReportsItsFinalLosses() throws IOException {
        Path dir = tmp.resolve("done");
        List<Double> losses = new ArrayList<>();
        TrainingResult done = train(dir, data(2), config(), false, false, losses);
        assertEquals(losses.get(3), done.lastLoss());
        assertTrue(Double.isFinite(done.validationLoss()));
        List<String> metrics = lines(dir.resolve("metrics.csv"));
        List<String> validation = lines(dir.resolve("validation.csv"));
        byte[] checkpoint = Files.readAllBytes(dir.resolve(TrainingLoop.CHECKPOINT));
        for (int i = 0; i < 2; i++) {
            List<Double> none = new ArrayList<>();
            TrainingResult again = train(dir, data(2), config(), true, false, none);
            assertEquals(List.of(), none, "no step runs");
            assertEquals(done, again, "the same steps, epoch, losses and checkpoint");
            assertEquals(metrics, lines(dir.resolve("metrics.csv")));
            assertEquals(validation, lines(dir.resolve("validation.csv")), "no duplicated validation row");
            assertArrayEquals(checkpoint, Files.readAllBytes(dir.resolve(TrainingLoop.CHECKPOINT)));
        }
    }

    @Test
    void aResumeAfterAKillBetweenTheLastStepAndTheFinalCheckpointRepeatsNoRow() throws IOException {
        // The kill is simulated by putting back the checkpoint of step 2 after the run finished: the files then hold
        // the rows of steps 3 and 4 and of the final validation, as a run killed just before its last checkpoint
        // leaves them.
        Path dir = tmp.resolve("killed");
        Path mid = tmp.resolve("mid.bin");
        List<Double> losses = new ArrayList<>();
        TrainingListener copyAtTwo = new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                losses.add(m.loss());
            }

            @Override
            public void onCheckpoint(long step, Path file) {
                if (step == 2) {
                    try {
                        Files.copy(file, mid);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }
        };
        ConceptLMTrainer.builder().model(TrainingFixtures.small(64)).objective(Objective.MSE).training(config())
                .outputDir(dir).build().train(data(3), copyAtTwo);
        List<String> metrics = lines(dir.resolve("metrics.csv"));
        List<String> validation = lines(dir.resolve("validation.csv"));
        Files.copy(mid, dir.resolve(TrainingLoop.CHECKPOINT), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        for (int i = 0; i < 2; i++) { // the resume, then a resume of the finished run
            List<Double> resumed = new ArrayList<>();
            TrainingResult r = train(dir, data(3), config(), true, false, resumed);
            assertEquals(i == 0 ? losses.subList(2, 4) : List.of(), resumed);
            assertEquals(losses.get(3), r.lastLoss());
            assertEquals(metrics.size(), lines(dir.resolve("metrics.csv")).size());
            assertEquals(validation.size(), lines(dir.resolve("validation.csv")).size(), "no duplicated validation row");
            assertEquals(validation.get(validation.size() - 1), lines(dir.resolve("validation.csv")).get(validation.size() - 1));
        }
    }

    @Test
    void aResumeNamesTheFirstSettingOrTheDataThatDiffers() throws IOException {
        Path dir = tmp.resolve("fp");
        train(dir, data(4), config().withSteps(2).withCheckpointEvery(1), false, false, new ArrayList<>());
        Path ck = dir.resolve(TrainingLoop.CHECKPOINT);
        TrainingConfig base = config().withSteps(2).withCheckpointEvery(1);
        String head = "mismatched checkpoint " + ck + ": expected ";
        assertMismatch(dir, data(4), base.withLearningRate(1e-2, 1e-4, 1), head + "lr 0.001, found 0.01");
        assertMismatch(dir, data(4), base.withLearningRate(1e-3, 1e-5, 1), head + "min lr 1e-4, found 1e-5");
        assertMismatch(dir, data(4), base.withLearningRate(1e-3, 1e-4, 0), head + "warmup 1, found 0");
        assertMismatch(dir, data(4), base.withClipNorm(0.5), head + "clip 1, found 0.5");
        assertMismatch(dir, data(4), base.withWeightDecay(0.01), head + "weight decay 0.1, found 0.01");
        assertMismatch(dir, data(4), base.withSeed(43), head + "seed 42, found 43");
        assertMismatch(dir, data(4), base.withSteps(3), head + "steps 2, found 3");
        // one value of one embedding changed: same sizes, other content
        Dataset changed = data(4);
        changed.train().get(1).embeddings()[0][5] += 1e-3f;
        String want = data(4).contentHash();
        assertTrue(want.matches("sha256:[0-9a-f]{64}"), want);
        assertMismatch(dir, changed, base, head + "data " + want + ", found " + changed.contentHash());
        // the validation documents are data too
        Dataset otherValidation = new Dataset(data(4).train(), data(5).validation());
        assertMismatch(dir, otherValidation, base, head + "data " + want + ", found " + otherValidation.contentHash());
        // the same settings and data resume (a finished run: nothing to do)
        assertEquals(2, train(dir, data(4), base, true, false, new ArrayList<>()).steps());
    }

    private static void assertMismatch(Path dir, Dataset data, TrainingConfig t, String message) {
        CheckpointMismatchException e = assertThrows(CheckpointMismatchException.class,
                () -> train(dir, data, t, true, false, new ArrayList<>()));
        assertEquals(message, e.getMessage());
    }

    @Test
    void settingsOutOfRangeNameTheGivenValue() {
        TrainingConfig d = TrainingConfig.defaults();
        assertRange("expected a minimum learning rate in 0..3e-4 (the learning rate), found 0.001",
                () -> d.withLearningRate(3e-4, 1e-3, 0));
        assertRange("expected a gradient clip norm > 0 (Infinity for no clipping), found 0", () -> d.withClipNorm(0));
        assertRange("expected a gradient clip norm > 0 (Infinity for no clipping), found NaN", () -> d.withClipNorm(Double.NaN));
        assertRange("expected a finite learning rate > 0, found NaN", () -> d.withLearningRate(Double.NaN, 0, 0));
        assertRange("expected a finite weight decay >= 0, found -0.1", () -> d.withWeightDecay(-0.1));
        assertRange("expected AdamW betas in [0, 1), found 1 and 0.95", () -> d.withBetas(1, 0.95));
        assertRange("expected batch size > 0, found 0", () -> d.withBatchSize(0));
        assertRange("expected 1..64 workers, found 65", () -> d.withWorkers(65));
        assertEquals(Double.POSITIVE_INFINITY, d.withClipNorm(Double.POSITIVE_INFINITY).clipNorm());
    }

    private static void assertRange(String message, org.junit.jupiter.api.function.Executable e) {
        assertEquals(message, assertThrows(InvalidInputException.class, e).getMessage());
    }

    @Test
    void oneRunPerFolderInThisProcess() throws Exception {
        Path dir = tmp.resolve("locked");
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> other = CompletableFuture.runAsync(() -> {
            try (RunDirectory r = RunDirectory.open(dir, false, false)) {
                held.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(held.await(30, TimeUnit.SECONDS));
        RunLockedException e = assertThrows(RunLockedException.class, () -> train(dir, data(6), config(), false, false,
                new ArrayList<>()));
        assertTrue(e.getMessage().startsWith("expected one training run per work directory, found " + dir + " locked by "
                + "thread "), e.getMessage());
        assertFalse(Files.exists(dir.resolve("metrics.csv")), "the second run wrote nothing");
        release.countDown();
        other.get(30, TimeUnit.SECONDS);
        assertEquals(4, train(dir, data(6), config(), false, false, new ArrayList<>()).steps(), "released on close");
    }

    /** The child JVM of {@link #anotherProcessHoldsTheFolderAndItsLockFileOutlivesIt}: holds the lock until killed. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            RunDirectory.open(Path.of(args[0]), false, false);
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    @Test
    void anotherProcessHoldsTheFolderAndItsLockFileOutlivesIt() throws Exception {
        Path dir = tmp.resolve("shared");
        Process p = ChildJvm.start(tmp, "256m", Holder.class, dir.toString());
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("locked", r.readLine(), Files.readString(ChildJvm.stderr(tmp, Holder.class)));
            long t0 = System.nanoTime();
            RunLockedException e = assertThrows(RunLockedException.class, () -> train(dir, data(7), config(), false, false,
                    new ArrayList<>()));
            assertTrue((System.nanoTime() - t0) < TimeUnit.SECONDS.toNanos(20), "fails at once, does not wait");
            assertEquals("expected one training run per work directory, found " + dir + " locked by process " + p.pid()
                    + " (wait for it to finish, or use another --out / --work)", e.getMessage());
            p.destroyForcibly(); // SIGKILL: the lock file stays, its lock goes with the process
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
        assertTrue(Files.exists(dir.resolve(RunDirectory.LOCK)), "the dead process's lock file is still there");
        assertEquals(4, train(dir, data(7), config(), false, false, new ArrayList<>()).steps(), "and does not block");
    }

    @Test
    void aFullDiskSaysSoWithThePath() throws Exception {
        // a 64 KiB tmpfs (needs root): the metrics fit, the first checkpoint (about 100 KiB) does not
        Path mnt = ChildJvm.mountTmpfs(tmp.resolve("small"), "64k");
        try {
            Path dir = mnt.resolve("run");
            SonarLlmException e = assertThrows(SonarLlmException.class, () -> train(dir, data(8), config(), false, false,
                    new ArrayList<>()));
            assertEquals(dir.resolve(TrainingLoop.CHECKPOINT + ".tmp") + ": no space left on device", e.getMessage());
            try (Stream<Path> s = Files.list(dir)) {
                assertFalse(s.anyMatch(p -> p.getFileName().toString().equals(TrainingLoop.CHECKPOINT)),
                        "no checkpoint under the final name");
            }
        } finally {
            ChildJvm.unmount(mnt);
        }
    }
}
