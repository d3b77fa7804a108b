package org.sonarllm.training.sonar;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.InvalidInputException;
import org.sonarllm.SonarLlmException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.lang.Language;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.segment.SentenceSegmenter;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.tokenize.SonarTokenizer;
import org.sonarllm.training.EmptyCorpusException;
import org.sonarllm.training.TrainingConfig;
import org.sonarllm.training.TrainingListener;
import org.sonarllm.training.TrainingLoop;
import org.sonarllm.training.TrainingResult;
import org.sonarllm.training.data.CorpusReader;

/**
 * Trains a SONAR-style sentence space ({@link AutoencoderGraph}: an M2M100 encoder mean-pooled to one
 * vector, an M2M100 decoder conditioned on it) the way SONAR's monolingual objectives do: denoising
 * auto-encoding (a share of the encoder inputs noised by {@link Noise}, the clean sentence as target),
 * then, from step {@link Options#interpolationFrom}, decoder-only fine-tuning on random interpolations
 * between each sentence's embedding and a noised version's (the encoder is frozen). The autoencoder task
 * runs in the one {@link TrainingLoop} (resume, AdamW, schedule, clipping, replicas, checkpoints,
 * metrics). At every checkpoint the weights are exported in the Hugging Face M2M100 layout
 * ({@code encoder/}, {@code decoder/}) with the tokenizer copied to {@code tokenizer/}, ready for
 * {@code ./sonarllm convert}.
 *
 * <pre>{@code
 * AutoencoderTrainer.Options o = new AutoencoderTrainer.Options(tokDir, Path.of("books/"), Path.of("runs/ae"),
 *         SonarConfig.symmetric(4204, 128, 4, 512, 3, 3, 128), 40, 4300, new Noise(0.1, 0.1, 3, 4203), 0.1, 0,
 *         Language.ENGLISH);
 * new AutoencoderTrainer(o, TrainingConfig.defaults().withSteps(5000).withBetas(0.9, 0.98).withWorkers(2), true)
 *         .train(TrainingListener.NONE);
 * }</pre>
 *
 * <p>Not thread-safe; one trainer per output directory.
 */
public final class AutoencoderTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(AutoencoderTrainer.class);

    /**
     * Task settings (the optimisation settings are the {@link TrainingConfig}).
     *
     * @param tokenizerDir NLLB-style tokenizer directory
     * @param corpus text file or directory, read as books ({@link CorpusReader#readBooks}) and split into sentences
     * @param outDir checkpoint, metrics and export directory
     * @param model shape (the vocabulary must cover the tokenizer's)
     * @param maxTokens longest encoder input kept (lang + pieces + eos); longer sentences are skipped
     * @param interpolationFrom first step of decoder-only interpolation fine-tuning ({@code >= steps}: none)
     * @param noise encoder input noise
     * @param noisedShare share of sentences noised during denoising auto-encoding
     * @param maxSentences use at most this many training sentences (0 = all)
     * @param language language of the corpus
     * @param vectorNoise scale of Gaussian noise added to each sentence vector before the decoder, relative to
     *     the vector's RMS (0 = none, at most {@value #MAX_VECTOR_NOISE}): nearby vectors then decode to the
     *     same sentence, which makes gradients through the frozen decoder informative for a concept LM
     * @param validationSentences sentences held out of training (a sample seeded by the training seed, taken
     *     after {@code maxSentences}) whose clean reconstruction loss is the run's validation loss (0 = none)
     * @param dropout probability of fairseq-style residual dropout while training ({@link AutoencoderGraph#dropoutSites};
     *     in the encoder only while it trains), 0 = none, below {@value #MAX_DROPOUT}
     * @param passageShare share of training examples replaced by a passage of the books' running text with as
     *     many pieces ({@link RunningText#passage}: word-aligned, crossing sentence boundaries, sentences longer
     *     than {@code maxTokens} included), drawn afresh at every step: many more distinct inputs than sentences,
     *     against memorising them (0 = none)
     * @param initFrom a space written by a previous run ({@code encoder/} and {@code decoder/}, {@link M2M100Export})
     *     whose weights start this run instead of random ones, of shape {@link #model} or of that shape with fewer
     *     decoder layers (the added ones start as the identity, {@link DecoderGrowth}); the optimizer state and
     *     schedule start afresh (null = random initialisation)
     */
    public record Options(Path tokenizerDir, Path corpus, Path outDir, SonarConfig model, int maxTokens,
            long interpolationFrom, Noise noise, double noisedShare, int maxSentences, Language language,
            double vectorNoise, int validationSentences, double dropout, double passageShare, Path initFrom) {
        /** Largest accepted {@link #vectorNoise}. */
        public static final double MAX_VECTOR_NOISE = 2.0;
        /** Bound (exclusive) of {@link #dropout}. */
        public static final double MAX_DROPOUT = 0.9;

        /** Validates. */
        public Options {
            if (!(vectorNoise >= 0 && vectorNoise <= MAX_VECTOR_NOISE)) {
                throw new InvalidInputException("expected a vector noise scale in 0.." + MAX_VECTOR_NOISE + ", found "
                        + vectorNoise);
            }
            if (!(dropout >= 0 && dropout < MAX_DROPOUT)) {
                throw new InvalidInputException("expected a dropout probability in [0, " + MAX_DROPOUT + "), found " + dropout);
            }
            if (!(passageShare >= 0 && passageShare <= 1)) {
                throw new InvalidInputException("expected a passage share in [0, 1], found " + passageShare);
            }
            if (validationSentences < 0) {
                throw new InvalidInputException("expected a number of validation sentences >= 0, found " + validationSentences);
            }
            if (maxTokens < 3 || interpolationFrom < 0 || noisedShare < 0 || noisedShare > 1 || maxSentences < 0
                    || noise == null || model == null || language == null) {
                throw new InvalidInputException("expected maxTokens >= 3, interpolationFrom >= 0, noisedShare in [0,1], "
                        + "maxSentences >= 0, a shape, noise and a language, found maxTokens=" + maxTokens
                        + " interpolationFrom=" + interpolationFrom + " noisedShare=" + noisedShare + " maxSentences="
                        + maxSentences);
            }
        }

        /**
         * Options without held-out sentences.
         *
         * @param tokenizerDir tokenizer @param corpus corpus @param outDir output @param model shape
         * @param maxTokens longest input @param interpolationFrom first interpolation step @param noise input noise
         * @param noisedShare noised share @param maxSentences sentence cap @param language language
         * @param vectorNoise sentence-vector noise
         */
        public Options(Path tokenizerDir, Path corpus, Path outDir, SonarConfig model, int maxTokens, long interpolationFrom,
                Noise noise, double noisedShare, int maxSentences, Language language, double vectorNoise) {
            this(tokenizerDir, corpus, outDir, model, maxTokens, interpolationFrom, noise, noisedShare, maxSentences,
                    language, vectorNoise, 0, 0, 0, null);
        }

        /**
         * @param n sentences to hold out for validation
         * @return these options holding out {@code n} sentences
         */
        public Options withValidationSentences(int n) {
            return new Options(tokenizerDir, corpus, outDir, model, maxTokens, interpolationFrom, noise, noisedShare,
                    maxSentences, language, vectorNoise, n, dropout, passageShare, initFrom);
        }

        /**
         * @param p residual dropout probability while training
         * @return these options with that dropout
         */
        public Options withDropout(double p) {
            return new Options(tokenizerDir, corpus, outDir, model, maxTokens, interpolationFrom, noise, noisedShare,
                    maxSentences, language, vectorNoise, validationSentences, p, passageShare, initFrom);
        }

        /**
         * @param share share of examples replaced by passages of the running text
         * @return these options with that share
         */
        public Options withPassageShare(double share) {
            return new Options(tokenizerDir, corpus, outDir, model, maxTokens, interpolationFrom, noise, noisedShare,
                    maxSentences, language, vectorNoise, validationSentences, dropout, share, initFrom);
        }

        /**
         * @param dir a space written by a previous run, or null for a random initialisation
         * @return these options starting from that space's weights
         */
        public Options withInitFrom(Path dir) {
            return new Options(tokenizerDir, corpus, outDir, model, maxTokens, interpolationFrom, noise, noisedShare,
                    maxSentences, language, vectorNoise, validationSentences, dropout, passageShare, dir);
        }

        /**
         * Options without noise on the sentence vectors.
         *
         * @param tokenizerDir tokenizer @param corpus corpus @param outDir output @param model shape
         * @param maxTokens longest input @param interpolationFrom first interpolation step @param noise input noise
         * @param noisedShare noised share @param maxSentences sentence cap @param language language
         */
        public Options(Path tokenizerDir, Path corpus, Path outDir, SonarConfig model, int maxTokens, long interpolationFrom,
                Noise noise, double noisedShare, int maxSentences, Language language) {
            this(tokenizerDir, corpus, outDir, model, maxTokens, interpolationFrom, noise, noisedShare, maxSentences,
                    language, 0);
        }
    }

    /**
     * Tokenized sentences.
     *
     * @param encoder encoder inputs {@code [lang] + pieces + [</s>]}
     * @param decoderInput decoder inputs {@code [</s>, lang] + pieces}
     * @param decoderTarget decoder targets {@code [lang] + pieces + [</s>]}
     * @param fingerprint a hash of the training sentences, held-out ones included, and with passages of the long ones
     *     too (part of the checkpoint fingerprint)
     * @param validation the held-out sentences, or null
     * @param text the books' sentences in order, held-out ones excluded (read only for passages; else empty)
     */
    record Corpus(List<int[]> encoder, List<int[]> decoderInput, List<int[]> decoderTarget, String fingerprint,
            Corpus validation, List<RunningText.Sentence> text) {
        /**
         * @param n sentences to hold out (0 = none)
         * @param seed seed of the sample
         * @return the training sentences, the held-out ones in {@link #validation}
         */
        Corpus holdOut(int n, long seed) {
            if (n == 0) {
                return this;
            }
            if (n >= encoder.size()) {
                throw new InvalidInputException("expected fewer validation sentences than the " + encoder.size()
                        + " read, found " + n);
            }
            List<Integer> order = new ArrayList<>(java.util.stream.IntStream.range(0, encoder.size()).boxed().toList());
            java.util.Collections.shuffle(order, new java.util.Random(seed));
            java.util.Set<Integer> held = new java.util.TreeSet<>(order.subList(0, n));
            Corpus train = new Corpus(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), fingerprint + ":held-out-" + n,
                    new Corpus(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), fingerprint, null, List.of()),
                    text.stream().filter(t -> !held.contains(t.row())).toList());
            for (int i = 0; i < encoder.size(); i++) {
                Corpus to = held.contains(i) ? train.validation : train;
                to.encoder.add(encoder.get(i));
                to.decoderInput.add(decoderInput.get(i));
                to.decoderTarget.add(decoderTarget.get(i));
            }
            return train;
        }
    }

    private final Options options;
    private final TrainingConfig training;
    private final boolean resume;
    private final boolean force;
    private final Corpus corpus;
    private final AutoencoderGraph graph;
    private final String start;

    /**
     * Reads and tokenizes the corpus and initialises the model (seeded by the training seed).
     *
     * @param options task settings
     * @param training optimisation settings (the autoencoder uses betas 0.9/0.98: {@code withBetas(0.9, 0.98)})
     * @param resume continue from {@code outDir/checkpoint.bin} when present
     * @throws EmptyCorpusException if no sentence of at most {@code maxTokens} tokens is found
     */
    public AutoencoderTrainer(Options options, TrainingConfig training, boolean resume) {
        this(options, training, resume, false);
    }

    /**
     * As {@link #AutoencoderTrainer(Options, TrainingConfig, boolean)}; with {@code force} (and no
     * {@code resume}) an output directory holding a run is started over instead of refused.
     *
     * @param options task settings
     * @param training optimisation settings
     * @param resume continue from {@code outDir/checkpoint.bin} when present
     * @param force start over when the output directory holds a run
     */
    public AutoencoderTrainer(Options options, TrainingConfig training, boolean resume, boolean force) {
        this.options = options;
        this.training = training;
        this.resume = resume;
        this.force = force;
        if (options.initFrom() != null && options.initFrom().toAbsolutePath().normalize()
                .equals(options.outDir().toAbsolutePath().normalize())) {
            throw new InvalidInputException("expected the initial weights in another directory than the output "
                    + options.outDir() + ", whose exports the run overwrites; copy them elsewhere first");
        }
        this.corpus = tokenize(options).holdOut(options.validationSentences(), training.seed());
        Map<String, INDArray> weights;
        Path from = options.initFrom();
        if (from == null) {
            weights = AutoencoderGraph.initParameters(options.model(), training.seed());
            this.start = null;
        } else {
            LOG.info("starting from the weights of {}", from);
            SonarConfig trained = M2M100Export.readConfig(from);
            weights = trained.decoderLayers() < options.model().decoderLayers()
                    ? DecoderGrowth.grow(M2M100Export.read(trained, from), trained, options.model(), training.seed())
                    : M2M100Export.read(options.model(), from);
            this.start = "sha256:" + Bundle.sha256(from.resolve("encoder/model.safetensors")).substring(0, 16) + "+"
                    + Bundle.sha256(from.resolve("decoder/model.safetensors")).substring(0, 16);
        }
        this.graph = AutoencoderGraph.build(options.model(), weights, DataType.FLOAT, options.dropout() > 0);
    }

    private static Corpus tokenize(Options o) {
        List<int[]> enc = new ArrayList<>();
        List<int[]> din = new ArrayList<>();
        List<int[]> dout = new ArrayList<>();
        List<RunningText.Sentence> text = new ArrayList<>();
        MessageDigest md = sha256();
        int read = 0;
        int skipped = 0;
        try (SonarTokenizer tok = SonarTokenizer.load(o.tokenizerDir())) {
            if (tok.vocabSize() > o.model().vocab()) {
                throw new InvalidInputException("expected a model vocabulary of at least " + tok.vocabSize()
                        + " (the tokenizer's), found " + o.model().vocab());
            }
            SentenceSegmenter seg = SentenceSegmenters.forLanguage(o.language());
            outer:
            for (CorpusReader.RawDocument d : CorpusReader.readBooks(o.corpus())) {
                for (String s : d.split(seg)) {
                    read++;
                    int[] e = tok.encoderIds(s, o.language());
                    boolean kept = e.length <= o.maxTokens();
                    if (o.passageShare() > 0) {
                        text.add(textSentence(tok, s, e, kept ? enc.size() : -1));
                        if (!kept) { // in the running text, so in the data fingerprint
                            md.update(s.getBytes(StandardCharsets.UTF_8));
                            md.update((byte) 1);
                        }
                    }
                    if (!kept) {
                        skipped++;
                        continue;
                    }
                    enc.add(e);
                    din.add(tok.decoderInput(s, o.language()));
                    dout.add(tok.decoderTarget(s, o.language()));
                    md.update(s.getBytes(StandardCharsets.UTF_8));
                    md.update((byte) 0);
                    if (o.maxSentences() > 0 && enc.size() >= o.maxSentences()) {
                        break outer;
                    }
                }
            }
        }
        if (enc.isEmpty()) {
            throw new EmptyCorpusException("sentence", "of at most " + o.maxTokens() + " tokens among " + read
                    + " sentences read from " + o.corpus());
        }
        LOG.info("{} training sentences ({} longer than {} tokens skipped)", enc.size(), skipped, o.maxTokens());
        return new Corpus(enc, din, dout, enc.size() + ":" + HexFormat.of().formatHex(md.digest()).substring(0, 16), null,
                text);
    }

    private static RunningText.Sentence textSentence(SonarTokenizer tok, String s, int[] encoderIds, int row) {
        int[] pieces = java.util.Arrays.copyOfRange(encoderIds, 1, encoderIds.length - 1);
        List<String> strings = tok.pieces(s);
        boolean[] wordStart = new boolean[pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            // a sentence cut to the tokenizer's maximum length has fewer ids than pieces; RunningText takes every
            // sentence's first piece as a word start
            wordStart[i] = i < strings.size() && strings.get(i).startsWith("\u2581");
        }
        return new RunningText.Sentence(pieces, wordStart, row);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return number of training sentences (held-out ones excluded) */
    public int sentenceCount() {
        return corpus.encoder().size();
    }

    /** @return the training sentences, the held-out ones in {@code validation()} */
    Corpus corpus() {
        return corpus;
    }

    /** @return the live parameters by name ({@code enc.*}, {@code dec.*}) */
    public Map<String, INDArray> parameters() {
        return graph.parameters();
    }

    /** @return the graph trained */
    public AutoencoderGraph graph() {
        return graph;
    }

    /**
     * Trains (resuming when asked and a checkpoint is present), exporting at every checkpoint.
     *
     * @param listener progress callbacks
     * @return the final metrics
     * @throws org.sonarllm.training.CheckpointMismatchException if the checkpoint belongs to another run
     * @throws org.sonarllm.training.CorruptCheckpointException if the checkpoint cannot be read
     * @throws org.sonarllm.training.TrainingDivergedException if a step's loss is not finite
     */
    public TrainingResult train(TrainingListener listener) {
        AutoencoderTask task = new AutoencoderTask(options, corpus, training.seed(), graph, start);
        return new TrainingLoop(training, options.outDir(), resume, force).run(task, new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                listener.onStep(m);
            }

            @Override
            public void onEpoch(EpochMetrics m) {
                listener.onEpoch(m);
            }

            @Override
            public void onCheckpoint(long step, Path file) {
                export();
                listener.onCheckpoint(step, file);
            }
        });
    }

    /** Writes {@code encoder/}, {@code decoder/} (M2M100 layout) and {@code tokenizer/} under the output directory. */
    public void export() {
        M2M100Export.write(options.model(), graph.parameters(), options.outDir().resolve("encoder"),
                options.outDir().resolve("decoder"));
        Path tok = options.outDir().resolve("tokenizer");
        try {
            Files.createDirectories(tok);
            for (String f : List.of(SonarTokenizer.MODEL_FILE, SonarTokenizer.LANGUAGES_FILE, SonarTokenizer.CONFIG_FILE)) {
                Path src = options.tokenizerDir().resolve(f);
                if (Files.exists(src)) {
                    Files.copy(src, tok.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new SonarLlmException("cannot copy the tokenizer to " + tok + ": " + e.getMessage(), e);
        }
    }
}
