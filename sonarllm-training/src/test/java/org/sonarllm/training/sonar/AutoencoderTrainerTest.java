package org.sonarllm.training.sonar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.InvalidInputException;
import org.sonarllm.testing.TinyA;
import org.sonarllm.training.internal.Checkpoint;

class AutoencoderTrainerTest {
    @TempDir
    Path tmp;

    private AutoencoderTrainer.Options options(Path corpus, Path out, long steps) {
        AutoencoderConfig cfg = new AutoencoderConfig(1206, 16, 2, 24, 1, 1, 64);
        return new AutoencoderTrainer.Options(TinyA.dir().resolve("tokenizer"), List.of(corpus), out, cfg, 4, 30, steps, 3,
                3e-3, 1, 0.01, 1.0, new Noise(0.1, 0.1, 3, 1203), 0.5, 7, 2, 0);
    }

    private Path corpus() throws Exception {
        Path f = tmp.resolve("novel.txt");
        Files.writeString(f, "Chapter 1\n\nIt was a fine day. The sisters walked to the village.\nThey met a friend.\n\n"
                + "\"Is he handsome?\" asked Kitty. Nobody answered her. The rain began.\n\n"
                + "Mr. Bennet smiled. He said nothing at all. Mrs. Bennet was vexed.\n");
        return f;
    }

    @Test
    void resumedRunEqualsUninterruptedRunAndExportsCheckpoints() throws Exception {
        Path c = corpus();
        AutoencoderTrainer straight = new AutoencoderTrainer(options(c, tmp.resolve("a"), 4));
        assertEquals(9, straight.sentenceCount()); // 3 paragraphs of 3 sentences; the heading is skipped
        Map<String, INDArray> full = straight.train().parameters();

        AutoencoderTrainer first = new AutoencoderTrainer(options(c, tmp.resolve("b"), 4));
        first.haltAfter(2);
        first.train();
        assertEquals(2, Checkpoint.read(tmp.resolve("b/checkpoint.bin")).step());
        Map<String, INDArray> resumed = new AutoencoderTrainer(options(c, tmp.resolve("b"), 4)).train().parameters();
        for (String k : full.keySet()) {
            assertTrue(full.get(k).equalsWithEps(resumed.get(k), 1e-6), k);
        }
        assertTrue(Files.exists(tmp.resolve("a/encoder/model.safetensors")));
        assertTrue(Files.exists(tmp.resolve("a/decoder/config.json")));
        assertTrue(Files.exists(tmp.resolve("a/tokenizer/sentencepiece.bpe.model")));
        List<String> lines = Files.readAllLines(tmp.resolve("a/metrics.csv"));
        assertEquals(5, lines.size());
        assertTrue(lines.get(4).startsWith("4,interp,"), lines.get(4));
    }

    @Test
    void twoWorkersGiveTheSameRunAsOne() throws Exception {
        // Batches of 4 split 2 + 2 over replicas on two threads; the token-weighted gradient sum must equal
        // the single-graph gradient, through both phases (steps 1-3 denoising, step 4 interpolation).
        Path c = corpus();
        Map<String, INDArray> one = new AutoencoderTrainer(options(c, tmp.resolve("w1"), 4)).train().parameters();
        Map<String, INDArray> two = new AutoencoderTrainer(options(c, tmp.resolve("w2"), 4)).workers(2).train().parameters();
        for (String k : one.keySet()) {
            assertTrue(one.get(k).equalsWithEps(two.get(k), 1e-5), k);
        }
        List<String> a = Files.readAllLines(tmp.resolve("w1/metrics.csv"));
        List<String> b = Files.readAllLines(tmp.resolve("w2/metrics.csv"));
        for (int i = 1; i < a.size(); i++) {
            assertEquals(Double.parseDouble(a.get(i).split(",")[2]), Double.parseDouble(b.get(i).split(",")[2]), 1e-5);
        }
        assertThrows(InvalidInputException.class, () -> new AutoencoderTrainer(options(c, tmp.resolve("w3"), 4)).workers(0));
    }

    @Test
    void interpolationPhaseUpdatesOnlyTheDecoder() throws Exception {
        Path c = corpus();
        AutoencoderTrainer.Options o = options(c, tmp.resolve("c"), 2);
        AutoencoderTrainer.Options allInterp = new AutoencoderTrainer.Options(o.tokenizerDir(), o.trainFiles(), o.outDir(),
                o.model(), o.batchSentences(), o.maxTokens(), 2, 0, o.peakLr(), o.warmup(), o.weightDecay(), o.clip(),
                o.noise(), o.noisedShare(), o.seed(), o.checkpointEvery(), 0);
        Map<String, INDArray> init = AutoencoderGraph.initParameters(o.model(), o.seed());
        Map<String, INDArray> after = new AutoencoderTrainer(allInterp).train().parameters();
        boolean decMoved = false;
        for (String k : after.keySet()) {
            if (k.startsWith("enc.")) {
                assertTrue(after.get(k).equalsWithEps(init.get(k), 0), k + " must stay frozen");
            } else {
                decMoved |= !after.get(k).equalsWithEps(init.get(k), 1e-7);
            }
        }
        assertTrue(decMoved);
    }

    @Test
    void rejectsMismatchedCheckpointAndBadOptions() throws Exception {
        Path c = corpus();
        AutoencoderTrainer t = new AutoencoderTrainer(options(c, tmp.resolve("d"), 2));
        t.train();
        assertThrows(InvalidInputException.class, () -> new AutoencoderTrainer(options(c, tmp.resolve("d"), 6)).train());
        AutoencoderConfig cfg = new AutoencoderConfig(100, 16, 2, 24, 1, 1, 64);
        assertThrows(InvalidInputException.class, () -> new AutoencoderTrainer(new AutoencoderTrainer.Options(
                TinyA.dir().resolve("tokenizer"), List.of(c), tmp.resolve("e"), cfg, 4, 30, 2, 2, 1e-3, 1, 0, 1,
                new Noise(0, 0, 0, 1203), 0, 1, 1, 0)));
    }
}
