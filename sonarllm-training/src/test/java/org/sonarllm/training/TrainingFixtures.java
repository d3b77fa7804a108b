package org.sonarllm.training;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.sonarllm.lang.Language;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.testing.TinyA;
import org.sonarllm.training.model.Batch;
import org.sonarllm.training.model.ImportedSonarDecoder;
import org.sonarllm.training.sonar.AutoencoderTrainer;
import org.sonarllm.training.sonar.Noise;

/** Shared test data of both training tasks (tiny-a sizes: d 64, vocabulary 1206). */
public final class TrainingFixtures {
    private static ImportedSonarDecoder decoder;

    private TrainingFixtures() {}

    /** @return the tiny-a bundle's imported decoder, shared (tests run one at a time per class) */
    public static synchronized ImportedSonarDecoder decoder() {
        if (decoder == null) {
            decoder = ImportedSonarDecoder.fromBundle(TinyABundle.get());
        }
        return decoder;
    }

    /**
     * @param into receives every step's loss
     * @return a listener collecting the losses
     */
    public static TrainingListener losses(List<Double> into) {
        return new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                into.add(m.loss());
            }
        };
    }

    /** @param d sonar dimension @return a 16-wide, 2-layer concept LM */
    public static ConceptLMConfig small(int d) {
        return ConceptLMConfig.llama(d, 16, 2, 2, 1, 8, 24);
    }

    /**
     * @param count documents
     * @param d embedding size
     * @param seed seed
     * @return random documents of 2..5 sentences with random piece tokens
     */
    public static List<Batch.Document> docs(int count, int d, long seed) {
        return docs(count, d, seed, 0, 5);
    }

    /**
     * @param count documents
     * @param d embedding size
     * @param seed seed
     * @param sentences sentences per document, or 0 for 2..5 at random
     * @param maxTokens longest decoder row ({@code [lang] + pieces}) drawn
     * @return random documents with random piece tokens
     */
    public static List<Batch.Document> docs(int count, int d, long seed, int sentences, int maxTokens) {
        Random r = new Random(seed);
        List<Batch.Document> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int n = sentences > 0 ? sentences : 2 + r.nextInt(4);
            float[][] e = new float[n][d];
            int[][] tok = new int[n][];
            for (int k = 0; k < n; k++) {
                for (int j = 0; j < d; j++) {
                    e[k][j] = (float) (r.nextGaussian() * 0.1);
                }
                tok[k] = new int[1 + r.nextInt(maxTokens)];
                tok[k][0] = 1047;
                for (int t = 1; t < tok[k].length; t++) {
                    tok[k][t] = 4 + r.nextInt(990);
                }
            }
            out.add(new Batch.Document(e, tok));
        }
        return out;
    }

    /**
     * @param dir where to write it
     * @return a small book: a heading and three paragraphs of three sentences
     */
    public static Path novel(Path dir) {
        try {
            Files.createDirectories(dir);
            return Files.writeString(dir.resolve("novel.txt"), "Chapter 1\n\nIt was a fine day. The sisters walked to the "
                    + "village.\nThey met a friend.\n\n\"Is he handsome?\" asked Kitty. Nobody answered her. The rain began.\n\n"
                    + "Mr. Bennet smiled. He said nothing at all. Mrs. Bennet was vexed.\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param corpus the corpus
     * @param out output directory
     * @param interpolationFrom first interpolation step
     * @return autoencoder settings on the tiny-a tokenizer (d 16, 1 + 1 layers)
     */
    public static AutoencoderTrainer.Options autoencoder(Path corpus, Path out, long interpolationFrom) {
        return new AutoencoderTrainer.Options(TinyA.dir().resolve("tokenizer"), corpus, out,
                SonarConfig.symmetric(1206, 16, 2, 24, 1, 1, 64), 30, interpolationFrom, new Noise(0.1, 0.1, 3, 1203), 0.5, 0,
                Language.ENGLISH);
    }

    /** @param steps steps @return the autoencoder tests' optimisation settings */
    public static TrainingConfig autoencoderTraining(long steps) {
        return TrainingConfig.defaults().withSteps(steps).withBatchSize(4).withLearningRate(3e-3, 1.5e-4, 1)
                .withWeightDecay(0.01).withBetas(0.9, 0.98).withSeed(7).withCheckpointEvery(2);
    }
}
