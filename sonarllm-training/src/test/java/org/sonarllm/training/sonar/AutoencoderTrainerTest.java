package org.sonarllm.training.sonar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.InvalidInputException;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.training.CheckpointMismatchException;
import org.sonarllm.training.TrainingConfig;
import org.sonarllm.training.TrainingFixtures;
import org.sonarllm.training.TrainingListener;
import org.sonarllm.training.TrainingResult;

class AutoencoderTrainerTest {
    @TempDir
    Path tmp;

    private AutoencoderTrainer trainer(Path out, long interpolationFrom, TrainingConfig t, boolean resume) {
        return new AutoencoderTrainer(TrainingFixtures.autoencoder(TrainingFixtures.novel(tmp.resolve("corpus")), out,
                interpolationFrom), t, resume);
    }

    @Test
    void resumedRunEqualsUninterruptedRunAndExportsCheckpoints() throws Exception {
        TrainingConfig t = TrainingFixtures.autoencoderTraining(4);
        AutoencoderTrainer straight = trainer(tmp.resolve("a"), 3, t, false);
        assertEquals(9, straight.sentenceCount()); // 3 paragraphs of 3 sentences; the heading is skipped
        List<Double> full = new ArrayList<>();
        straight.train(TrainingFixtures.losses(full));

        List<Double> resumed = new ArrayList<>();
        AutoencoderTrainer first = trainer(tmp.resolve("b"), 3, t, true);
        RuntimeException kill = new RuntimeException("killed");
        assertThrows(RuntimeException.class, () -> first.train(new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                resumed.add(m.loss());
            }

            @Override
            public void onCheckpoint(long step, Path file) {
                if (step == 2) {
                    throw kill;
                }
            }
        }));
        AutoencoderTrainer second = trainer(tmp.resolve("b"), 3, t, true);
        second.train(TrainingFixtures.losses(resumed));
        assertEquals(full, resumed);
        Map<String, INDArray> a = straight.parameters();
        Map<String, INDArray> b = second.parameters();
        for (String k : a.keySet()) {
            assertTrue(a.get(k).equalsWithEps(b.get(k), 1e-6), k);
        }
        assertTrue(Files.exists(tmp.resolve("a/encoder/model.safetensors")));
        assertTrue(Files.exists(tmp.resolve("a/decoder/config.json")));
        assertTrue(Files.exists(tmp.resolve("a/tokenizer/sentencepiece.bpe.model")));
        for (String dir : List.of("a", "b")) {
            List<String> lines = Files.readAllLines(tmp.resolve(dir + "/metrics.csv"));
            assertEquals(5, lines.size(), dir);
            assertTrue(lines.get(3).startsWith("3,") && lines.get(3).endsWith(",dae"), lines.get(3));
            assertTrue(lines.get(4).startsWith("4,") && lines.get(4).endsWith(",interp"), lines.get(4));
        }
    }

    @Test
    void twoWorkersGiveTheSameRunAsOne() throws Exception {
        // Batches of 4 split 2 + 2 over replicas on two threads; the token-weighted gradient sum must equal
        // the single-graph gradient, through both phases (steps 1-3 denoising, step 4 interpolation).
        TrainingConfig t = TrainingFixtures.autoencoderTraining(4);
        List<Double> l1 = new ArrayList<>();
        List<Double> l2 = new ArrayList<>();
        AutoencoderTrainer one = trainer(tmp.resolve("w1"), 3, t, false);
        AutoencoderTrainer two = trainer(tmp.resolve("w2"), 3, t.withWorkers(2), false);
        one.train(TrainingFixtures.losses(l1));
        two.train(TrainingFixtures.losses(l2));
        for (String k : one.parameters().keySet()) {
            assertTrue(one.parameters().get(k).equalsWithEps(two.parameters().get(k), 1e-5), k);
        }
        assertEquals(4, l1.size());
        for (int i = 0; i < l1.size(); i++) {
            assertEquals(l1.get(i), l2.get(i), 1e-5);
        }
    }

    @Test
    void vectorNoiseRunsAreTheSameOnTwoWorkersAndDifferFromNoNoise() throws Exception {
        // The noise is drawn per (seed, step, micro-batch) in row order, so replicas see the same vectors.
        sameOnTwoWorkersAndDifferentFromPlain("vector noise", (o, out) -> withVectorNoise(o, out, 0.5));
    }

    @Test
    void dropoutRunsAreTheSameOnTwoWorkersAndDifferFromNoDropout() throws Exception {
        // masks derive from (seed, step, micro-batch, sentence), so replicas draw the same ones; both phases
        sameOnTwoWorkersAndDifferentFromPlain("dropout", (o, out) -> withVectorNoise(o, out, 0).withDropout(0.2));
        assertThrows(InvalidInputException.class, () -> TrainingFixtures.autoencoder(tmp.resolve("corpus"), tmp, 2)
                .withDropout(0.95));
    }

    @Test
    void passageRunsAreTheSameOnTwoWorkersAndDifferFromSentences() throws Exception {
        sameOnTwoWorkersAndDifferentFromPlain("passages", (o, out) -> withVectorNoise(o, out, 0).withPassageShare(0.7));
        assertThrows(InvalidInputException.class, () -> TrainingFixtures.autoencoder(tmp.resolve("corpus"), tmp, 2)
                .withPassageShare(1.5));
    }

    @Test
    void passagesAreWordAlignedStretchesOfTheTrainingTextAsLongAsTheirSentenceAtMost() throws Exception {
        Path corpus = TrainingFixtures.novel(tmp.resolve("corpus"));
        // a passage share of 1 (every example a passage), 2 sentences held out of the text
        AutoencoderTrainer.Options o = TrainingFixtures.autoencoder(corpus, tmp.resolve("p"), 100).withPassageShare(1)
                .withValidationSentences(2);
        AutoencoderTrainer t = new AutoencoderTrainer(o, TrainingFixtures.autoencoderTraining(1), false);
        AutoencoderTrainer.Corpus c = t.corpus();
        // the running text is the training sentences in order (all of the novel's are short enough)
        assertEquals(c.encoder().size(), c.text().size());
        for (int i = 0; i < c.text().size(); i++) {
            int[] e = c.encoder().get(i);
            assertArrayEquals(java.util.Arrays.copyOfRange(e, 1, e.length - 1), c.text().get(i).pieces());
        }
        String joined;
        try (org.sonarllm.tokenize.SonarTokenizer tok = org.sonarllm.tokenize.SonarTokenizer.load(o.tokenizerDir())) {
            StringBuilder b = new StringBuilder(" ");
            for (int[] e : c.encoder()) {
                b.append(tok.decode(e)).append(' ');
            }
            joined = b.toString();
            for (int[] h : c.validation().encoder()) {
                assertTrue(!joined.contains(" " + tok.decode(h) + " "), "held-out sentences are not in the text");
            }
            AutoencoderTask task = new AutoencoderTask(o, c, 7, t.graph());
            int[] rows = java.util.stream.IntStream.range(0, c.encoder().size()).toArray();
            int differ = 0;
            for (long step = 1; step <= 5; step++) {
                List<AutoencoderTask.Example> ex = task.examples(rows, step, 0);
                for (int i = 0; i < rows.length; i++) {
                    AutoencoderTask.Example x = ex.get(i);
                    int[] sentence = c.encoder().get(rows[i]);
                    int[] target = x.decoderTarget(); // the clean passage (the encoder input may be noised)
                    int n = target.length;
                    assertTrue(n >= 3 && n <= sentence.length, "at most the sentence's length");
                    assertEquals(sentence[0], target[0]);
                    assertEquals(sentence[sentence.length - 1], target[n - 1]);
                    int[] pieces = java.util.Arrays.copyOfRange(target, 1, n - 1);
                    int[] din = x.decoderInput();
                    assertEquals(c.decoderInput().get(rows[i])[0], din[0]);
                    assertEquals(sentence[0], din[1]);
                    assertArrayEquals(pieces, java.util.Arrays.copyOfRange(din, 2, din.length));
                    assertEquals(sentence[0], x.encoder()[0]);
                    String text = tok.decode(target);
                    // starts at a word of the training text; ends before a word when shorter than the sentence
                    assertTrue(joined.contains(" " + text), text);
                    if (n < sentence.length) {
                        assertTrue(joined.contains(" " + text + " "), text);
                    }
                    differ += java.util.Arrays.equals(target, sentence) ? 0 : 1;
                }
            }
            assertTrue(differ > rows.length * 4, "passages are mostly not their row's sentence: " + differ);
        }
    }

    @Test
    void aLongSentenceIsInTheDataFingerprintOnlyWhenPassagesReadIt() throws Exception {
        Path novel = TrainingFixtures.novel(tmp.resolve("short"));
        Path longer = Files.createDirectories(tmp.resolve("long")).resolve("novel.txt");
        Files.writeString(longer, Files.readString(novel) + "\nThe long sentence" + " and the rain went on".repeat(20) + ".\n");
        java.util.function.BiFunction<Path, Double, String> fingerprint = (corpus, share) -> new AutoencoderTrainer(
                TrainingFixtures.autoencoder(corpus, tmp.resolve("f"), 2).withPassageShare(share),
                TrainingFixtures.autoencoderTraining(1), false).corpus().fingerprint();
        assertEquals(fingerprint.apply(novel, 0.0), fingerprint.apply(longer, 0.0), "skipped, unread");
        assertTrue(!fingerprint.apply(novel, 0.5).equals(fingerprint.apply(longer, 0.5)), "in the running text");
    }

    /** @return {@code o} writing to {@code out}, with that sentence-vector noise */
    private static AutoencoderTrainer.Options withVectorNoise(AutoencoderTrainer.Options o, Path out, double scale) {
        return new AutoencoderTrainer.Options(o.tokenizerDir(), o.corpus(), out, o.model(), o.maxTokens(),
                o.interpolationFrom(), o.noise(), o.noisedShare(), o.maxSentences(), o.language(), scale);
    }

    /** 3 steps (2 denoising, 1 interpolation) of {@code variant}: same on 1 and 2 workers, other losses than plain. */
    private void sameOnTwoWorkersAndDifferentFromPlain(String what,
            java.util.function.BiFunction<AutoencoderTrainer.Options, Path, AutoencoderTrainer.Options> variant) {
        TrainingConfig t = TrainingFixtures.autoencoderTraining(3);
        AutoencoderTrainer.Options base = TrainingFixtures.autoencoder(TrainingFixtures.novel(tmp.resolve("corpus")),
                tmp.resolve("plain"), 2);
        List<Double> plain = new ArrayList<>();
        List<Double> l1 = new ArrayList<>();
        List<Double> l2 = new ArrayList<>();
        new AutoencoderTrainer(base, t, false).train(TrainingFixtures.losses(plain));
        AutoencoderTrainer one = new AutoencoderTrainer(variant.apply(base, tmp.resolve("w1")), t, false);
        AutoencoderTrainer two = new AutoencoderTrainer(variant.apply(base, tmp.resolve("w2")), t.withWorkers(2), false);
        one.train(TrainingFixtures.losses(l1));
        two.train(TrainingFixtures.losses(l2));
        for (String k : one.parameters().keySet()) {
            assertTrue(one.parameters().get(k).equalsWithEps(two.parameters().get(k), 1e-5), k);
        }
        assertEquals(3, l1.size());
        for (int i = 0; i < l1.size(); i++) {
            assertEquals(l1.get(i), l2.get(i), 1e-5);
        }
        // same initial parameters and batches: only the variant can make a loss differ
        assertTrue(java.util.stream.IntStream.range(0, 3).anyMatch(i -> Math.abs(plain.get(i) - l1.get(i)) > 1e-4),
                "the " + what + " reaches the loss: " + plain + " " + l1);
    }

    @Test
    void heldOutSentencesAreLeftOutOfTrainingAndTheirCleanReconstructionLossIsTheValidation() throws Exception {
        AutoencoderTrainer.Options o = TrainingFixtures.autoencoder(TrainingFixtures.novel(tmp.resolve("corpus")),
                tmp.resolve("v"), 5).withValidationSentences(2);
        int all = new AutoencoderTrainer(TrainingFixtures.autoencoder(o.corpus(), tmp.resolve("all"), 5),
                TrainingFixtures.autoencoderTraining(1), false).sentenceCount();
        AutoencoderTrainer t = new AutoencoderTrainer(o, TrainingFixtures.autoencoderTraining(6), false);
        assertEquals(all - 2, t.sentenceCount());
        AutoencoderTrainer.Corpus held = t.corpus().validation();
        assertEquals(2, held.encoder().size());
        for (int[] h : held.encoder()) {
            assertTrue(t.corpus().encoder().stream().noneMatch(e -> java.util.Arrays.equals(e, h)), "held out");
        }
        TrainingResult r = t.train(TrainingListener.NONE);
        // independent: log-softmax of the graph's logits over both held-out sentences in one padded batch
        AutoencoderBatch b = AutoencoderBatch.plain(held.encoder().toArray(int[][]::new),
                held.decoderInput().toArray(int[][]::new), held.decoderTarget().toArray(int[][]::new),
                t.graph().config(), org.nd4j.linalg.api.buffer.DataType.FLOAT);
        float[][] logits = t.graph().logits(b).toFloatMatrix();
        int len = logits.length / 2;
        double nll = 0;
        int tokens = 0;
        for (int i = 0; i < 2; i++) {
            int[] target = held.decoderTarget().get(i);
            for (int k = 0; k < target.length; k++) {
                float[] row = logits[i * len + k];
                double max = Double.NEGATIVE_INFINITY;
                for (float v : row) {
                    max = Math.max(max, v);
                }
                double z = 0;
                for (float v : row) {
                    z += Math.exp(v - max);
                }
                nll -= row[target[k]] - max - Math.log(z);
                tokens++;
            }
        }
        assertEquals(nll / tokens, r.validationLoss(), 1e-4);
        // one row per epoch (7 sentences, 4 per step: 2 steps each) and the run's end
        List<String> rows = Files.readAllLines(tmp.resolve("v").resolve("validation.csv"));
        assertEquals(4, rows.size(), rows.toString());
        assertThrows(InvalidInputException.class, () -> new AutoencoderTrainer(o.withValidationSentences(all),
                TrainingFixtures.autoencoderTraining(1), false));
    }

    @Test
    void interpolationPhaseUpdatesOnlyTheDecoder() {
        AutoencoderTrainer t = trainer(tmp.resolve("c"), 0, TrainingFixtures.autoencoderTraining(2), false);
        Map<String, INDArray> init = AutoencoderGraph.initParameters(t.graph().config(), 7);
        t.train(TrainingListener.NONE);
        Map<String, INDArray> after = t.parameters();
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
    void rejectsAModelVocabularySmallerThanTheTokenizers() {
        AutoencoderTrainer.Options o = TrainingFixtures.autoencoder(TrainingFixtures.novel(tmp.resolve("corpus")),
                tmp.resolve("e"), 2);
        AutoencoderTrainer.Options small = new AutoencoderTrainer.Options(o.tokenizerDir(), o.corpus(), o.outDir(),
                SonarConfig.symmetric(100, 16, 2, 24, 1, 1, 64), o.maxTokens(), 2, o.noise(), o.noisedShare(), 0, o.language());
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> new AutoencoderTrainer(small, TrainingFixtures.autoencoderTraining(2), false));
        assertEquals("expected a model vocabulary of at least 1204 (the tokenizer's), found 100", e.getMessage());
        assertThrows(InvalidInputException.class, () -> new AutoencoderTrainer.Options(o.tokenizerDir(), o.corpus(),
                o.outDir(), o.model(), 2, 2, o.noise(), o.noisedShare(), 0, o.language()));
    }

    @Test
    void aRunCanStartFromTheWeightsAnotherRunExported() {
        Path corpus = TrainingFixtures.novel(tmp.resolve("corpus"));
        AutoencoderTrainer first = trainer(tmp.resolve("first"), 3, TrainingFixtures.autoencoderTraining(4), false);
        first.train(TrainingListener.NONE);
        AutoencoderTrainer.Options from = TrainingFixtures.autoencoder(corpus, tmp.resolve("next"), 3)
                .withInitFrom(tmp.resolve("first"));
        AutoencoderTrainer next = new AutoencoderTrainer(from, TrainingFixtures.autoencoderTraining(2), false);
        // its starting point is the first run's final weights, exactly, not the seed's random ones
        Map<String, INDArray> trained = first.parameters();
        for (Map.Entry<String, INDArray> e : next.parameters().entrySet()) {
            assertArrayEquals(trained.get(e.getKey()).dup('c').data().asFloat(), e.getValue().dup('c').data().asFloat(), 0f,
                    e.getKey());
        }
        Map<String, INDArray> random = AutoencoderGraph.initParameters(from.model(), 7);
        assertTrue(!random.get("dec.layers.0.fc1.weight").equalsWithEps(next.parameters().get("dec.layers.0.fc1.weight"), 1e-3));
        List<Double> losses = new ArrayList<>();
        next.train(TrainingFixtures.losses(losses));
        assertEquals(2, losses.size());

        // a resume must start from the same weights: another run's are refused, naming the setting
        AutoencoderTrainer other = trainer(tmp.resolve("other"), 3, TrainingFixtures.autoencoderTraining(2), false);
        other.train(TrainingListener.NONE);
        AutoencoderTrainer mismatched = new AutoencoderTrainer(from.withInitFrom(tmp.resolve("other")),
                TrainingFixtures.autoencoderTraining(2), true);
        CheckpointMismatchException e = assertThrows(CheckpointMismatchException.class, () -> mismatched.train(TrainingListener.NONE));
        assertTrue(e.getMessage().contains("initial weights"), e.getMessage());
        // nor can a run start from the directory it writes
        InvalidInputException self = assertThrows(InvalidInputException.class, () -> new AutoencoderTrainer(
                from.withInitFrom(tmp.resolve("next")), TrainingFixtures.autoencoderTraining(2), true));
        assertTrue(self.getMessage().startsWith("expected the initial weights in another directory than the output"),
                self.getMessage());
    }
}
