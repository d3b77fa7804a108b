package org.sonarllm.training.sonar;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.InvalidInputException;
import org.sonarllm.lang.Language;
import org.sonarllm.tokenize.SonarTokenizer;
import org.sonarllm.training.internal.Checkpoint;
import org.sonarllm.training.optim.AdamW;
import org.sonarllm.training.optim.CosineSchedule;
import org.sonarllm.training.optim.GradientClipping;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a {@link AutoencoderGraph} SONAR-style: first denoising auto-encoding (a share of the
 * sentences noised by {@link Noise}, the clean sentence as target), then, from step
 * {@link Options#interpolationFrom}, decoder-only fine-tuning on random interpolations between each
 * sentence's embedding and the embedding of a noised version (the encoder is frozen). AdamW with linear
 * warmup and cosine decay, global-norm clipping, length-bucketed batches in a seeded order. A checkpoint
 * ({@code checkpoint.bin}: parameters, AdamW state, data position) is written atomically every
 * {@link Options#checkpointEvery} steps and at the end; {@link #train} resumes from it when present,
 * reproducing the same batches and noise. Metrics go to {@code metrics.csv}; the final weights are
 * exported in the M2M100 layout ({@code encoder/}, {@code decoder/}) with the tokenizer copied to
 * {@code tokenizer/}, ready for {@link org.sonarllm.onnx.convert.SonarConverter}.
 *
 * <pre>{@code
 * AutoencoderTrainer.Options o = AutoencoderTrainer.Options.defaults(tokDir, trainFiles, outDir);
 * new AutoencoderTrainer(o).train();
 * }</pre>
 *
 * <p>Not thread-safe; one trainer per output directory.
 */
public final class AutoencoderTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(AutoencoderTrainer.class);

    /**
     * Training settings.
     *
     * @param tokenizerDir NLLB-style tokenizer directory
     * @param trainFiles corpus text files
     * @param outDir checkpoint, metrics and export directory
     * @param model shape (vocab must equal the tokenizer's)
     * @param batchSentences sentences per batch
     * @param maxTokens longest encoder input kept (lang + pieces + eos)
     * @param steps total optimizer steps
     * @param interpolationFrom first step of decoder-only interpolation fine-tuning (== steps: none)
     * @param peakLr peak learning rate
     * @param warmup warmup steps
     * @param weightDecay AdamW decoupled weight decay
     * @param clip global gradient-norm clip (0 = none)
     * @param noise encoder input noise
     * @param noisedShare share of sentences noised during denoising auto-encoding
     * @param seed seed of initialisation, data order and noise
     * @param checkpointEvery steps between checkpoints
     * @param maxSentences use at most this many training sentences (0 = all), for tests
     */
    public record Options(Path tokenizerDir, List<Path> trainFiles, Path outDir, AutoencoderConfig model,
            int batchSentences, int maxTokens, long steps, long interpolationFrom, double peakLr, long warmup,
            double weightDecay, double clip, Noise noise, double noisedShare, long seed, long checkpointEvery,
            int maxSentences) {
        /** Validates. */
        public Options {
            if (batchSentences <= 0 || maxTokens < 3 || steps <= 0 || interpolationFrom < 0 || peakLr <= 0
                    || warmup < 0 || checkpointEvery <= 0 || noisedShare < 0 || noisedShare > 1) {
                throw new InvalidInputException("expected positive batch, steps, lr, checkpoint interval, maxTokens >= 3 and "
                        + "noisedShare in [0,1], found batch=" + batchSentences + " steps=" + steps + " lr=" + peakLr
                        + " every=" + checkpointEvery + " maxTokens=" + maxTokens + " share=" + noisedShare);
            }
        }

        /** @return the fingerprint stored in checkpoints (a resume must match it) */
        public String fingerprint() {
            return model.fingerprint() + " b" + batchSentences + " t" + maxTokens + " s" + steps + " i" + interpolationFrom
                    + " lr" + peakLr + " w" + warmup + " wd" + weightDecay + " c" + clip + " " + noise + " ns" + noisedShare
                    + " seed" + seed + " files" + trainFiles.stream().map(p -> p.getFileName().toString()).toList()
                    + " max" + maxSentences;
        }
    }

    private final Options o;
    private final SonarTokenizer tokenizer;
    private final List<int[]> enc = new ArrayList<>();
    private final List<int[]> decIn = new ArrayList<>();
    private final List<int[]> decOut = new ArrayList<>();
    private long haltAfter = Long.MAX_VALUE;
    private int workers = 1;

    /**
     * Tokenizes the corpus.
     *
     * @param options settings
     */
    public AutoencoderTrainer(Options options) {
        this.o = options;
        this.tokenizer = SonarTokenizer.load(options.tokenizerDir());
        if (tokenizer.vocabSize() > options.model().vocab()) {
            throw new InvalidInputException("expected a model vocabulary of at least " + tokenizer.vocabSize()
                    + " (the tokenizer's), found " + options.model().vocab());
        }
        List<String> sentences = AustenCorpus.sentences(options.trainFiles());
        int skipped = 0;
        for (String s : sentences) {
            int[] e = tokenizer.encoderIds(s, Language.ENGLISH);
            if (e.length > options.maxTokens()) {
                skipped++;
                continue;
            }
            enc.add(e);
            decIn.add(tokenizer.decoderInput(s, Language.ENGLISH));
            decOut.add(tokenizer.decoderTarget(s, Language.ENGLISH));
            if (options.maxSentences() > 0 && enc.size() >= options.maxSentences()) {
                break;
            }
        }
        if (enc.isEmpty()) {
            throw new InvalidInputException("expected training sentences of at most " + options.maxTokens()
                    + " tokens, found none");
        }
        LOG.info("{} training sentences ({} longer than {} tokens skipped)", enc.size(), skipped, options.maxTokens());
    }

    /**
     * Splits every batch across {@code n} graph replicas run on {@code n} threads (data parallelism on
     * one machine; SameDiff runs one op at a time, so with one BLAS thread per op this uses n cores).
     * The token-weighted sum of the replicas' gradients equals the whole batch's gradient, so a run's
     * results do not depend on {@code n} beyond float rounding, and checkpoints are interchangeable.
     *
     * @param n replicas (1 = no parallelism)
     * @return this trainer
     */
    public AutoencoderTrainer workers(int n) {
        if (n < 1 || n > 64) {
            throw new InvalidInputException("expected 1..64 workers, found " + n);
        }
        this.workers = n;
        return this;
    }

    /** Simulates an interruption (tests): stop at the first checkpoint at or after {@code step}. */
    void haltAfter(long step) {
        this.haltAfter = step;
    }

    /** @return number of training sentences */
    public int sentenceCount() {
        return enc.size();
    }

    /** Length-bucketed batches of one epoch, a pure function of seed and epoch. */
    List<int[]> epochBatches(int epoch) {
        Random rnd = new Random(o.seed() * 1_000_003L + epoch);
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < enc.size(); i++) {
            idx.add(i);
        }
        Collections.shuffle(idx, rnd);
        int chunk = o.batchSentences() * 50;
        List<int[]> batches = new ArrayList<>();
        for (int from = 0; from < idx.size(); from += chunk) {
            List<Integer> part = new ArrayList<>(idx.subList(from, Math.min(idx.size(), from + chunk)));
            part.sort((a, b) -> Integer.compare(enc.get(a).length, enc.get(b).length));
            for (int b = 0; b < part.size(); b += o.batchSentences()) {
                List<Integer> sub = part.subList(b, Math.min(part.size(), b + o.batchSentences()));
                batches.add(sub.stream().mapToInt(Integer::intValue).toArray());
            }
        }
        Collections.shuffle(batches, rnd);
        return batches;
    }

    /**
     * Trains (resuming from {@code outDir/checkpoint.bin} if present) and exports the weights.
     *
     * @return the final graph
     */
    public AutoencoderGraph train() {
        Path ckptFile = o.outDir().resolve("checkpoint.bin");
        AdamW adam = new AdamW(0.9, 0.98, 1e-8, o.weightDecay());
        CosineSchedule lr = new CosineSchedule(o.peakLr(), o.peakLr() * 0.05, o.warmup(), o.steps());
        Map<String, INDArray> params;
        long step = 0;
        int epoch = 0;
        int position = 0;
        if (Files.exists(ckptFile)) {
            Checkpoint c = Checkpoint.read(ckptFile);
            if (!c.fingerprint().equals(o.fingerprint())) {
                throw new InvalidInputException("expected a checkpoint of run '" + o.fingerprint() + "', found '"
                        + c.fingerprint() + "' in " + ckptFile);
            }
            params = new LinkedHashMap<>(c.params());
            adam.restore(c.adamSteps(), c.first(), c.second());
            step = c.step();
            epoch = c.epoch();
            position = c.position();
            LOG.info("resumed at step {} (epoch {}, batch {})", step, epoch, position);
        } else {
            params = AutoencoderGraph.initParameters(o.model(), o.seed());
        }
        AutoencoderGraph g = AutoencoderGraph.build(o.model(), params, DataType.FLOAT);
        Map<String, INDArray> live = g.parameters();
        List<AutoencoderGraph> replicas = new ArrayList<>();
        replicas.add(g);
        for (int w = 1; w < workers; w++) {
            Map<String, INDArray> copy = new LinkedHashMap<>();
            live.forEach((k, v) -> copy.put(k, v.dup()));
            replicas.add(AutoencoderGraph.build(o.model(), copy, DataType.FLOAT));
        }
        java.util.concurrent.ExecutorService pool = workers > 1
                ? java.util.concurrent.Executors.newFixedThreadPool(workers, r -> {
                    Thread t = new Thread(r, "autoencoder-worker");
                    t.setDaemon(true);
                    return t;
                })
                : null;
        try {
            return loop(g, replicas, pool, adam, lr, step, epoch, position, ckptFile);
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }

    private AutoencoderGraph loop(AutoencoderGraph g, List<AutoencoderGraph> replicas,
            java.util.concurrent.ExecutorService pool, AdamW adam, CosineSchedule lr, long step, int epoch, int position,
            Path ckptFile) {
        Map<String, INDArray> live = g.parameters();
        List<int[]> batches = epochBatches(epoch);
        long t0 = System.nanoTime();
        long tokens = 0;
        while (step < o.steps()) {
            if (position >= batches.size()) {
                epoch++;
                position = 0;
                batches = epochBatches(epoch);
            }
            int[] rows = batches.get(position++);
            boolean interp = step >= o.interpolationFrom();
            Random rnd = new Random(o.seed() * 31 + step * 1_000_033L);
            List<AutoencoderBatch> parts = makeBatches(rows, interp, rnd, replicas.size());
            List<String> names = interp ? g.decoderParameters() : new ArrayList<>(live.keySet());
            Map<String, INDArray> grads = gradients(replicas, parts, names, pool);
            double loss = grads.remove(AutoencoderGraph.LOSS).getDouble(0);
            double norm = GradientClipping.clip(grads, o.clip());
            Map<String, INDArray> upd = new LinkedHashMap<>();
            for (String n : names) {
                upd.put(n, live.get(n));
            }
            double rate = lr.at(step);
            adam.step(upd, grads, rate);
            for (int w = 1; w < replicas.size(); w++) {
                Map<String, INDArray> rp = replicas.get(w).parameters();
                for (String n : names) {
                    rp.get(n).assign(live.get(n));
                }
            }
            step++;
            for (AutoencoderBatch b : parts) {
                tokens += b.targetTokens();
            }
            if (!Double.isFinite(loss)) {
                throw new IllegalStateException("loss became " + loss + " at step " + step);
            }
            metrics(step, loss, rate, norm, interp, tokens, t0);
            if (step % o.checkpointEvery() == 0 || step == o.steps()) {
                new Checkpoint(o.fingerprint(), step, epoch, position, o.seed(), adam.steps(), live,
                        adam.firstMoments(), adam.secondMoments()).write(ckptFile);
                export(g);
                LOG.info("checkpoint at step {}", step);
                if (step >= haltAfter) {
                    break;
                }
            }
        }
        return g;
    }

    /**
     * Token-weighted loss and gradients of a batch split over replicas (run on {@code pool} when there
     * are several).
     */
    private static Map<String, INDArray> gradients(List<AutoencoderGraph> replicas, List<AutoencoderBatch> parts,
            List<String> names, java.util.concurrent.ExecutorService pool) {
        if (parts.size() == 1) {
            return replicas.get(0).lossAndGradients(parts.get(0), names);
        }
        List<java.util.concurrent.Future<Map<String, INDArray>>> fs = new ArrayList<>();
        for (int w = 0; w < parts.size(); w++) {
            AutoencoderGraph rg = replicas.get(w);
            AutoencoderBatch b = parts.get(w);
            fs.add(pool.submit(() -> rg.lossAndGradients(b, names)));
        }
        long total = 0;
        for (AutoencoderBatch b : parts) {
            total += b.targetTokens();
        }
        Map<String, INDArray> sum = new LinkedHashMap<>();
        for (int w = 0; w < parts.size(); w++) {
            Map<String, INDArray> gw;
            try {
                gw = fs.get(w).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while computing gradients", e);
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException(e.getCause());
            }
            double weight = (double) parts.get(w).targetTokens() / total;
            for (Map.Entry<String, INDArray> e : gw.entrySet()) {
                INDArray scaled = e.getValue().castTo(DataType.FLOAT).mul(weight);
                sum.merge(e.getKey(), scaled, INDArray::addi);
            }
        }
        return sum;
    }

    /** The rows of one batch after noising: encoder inputs, noised copies and weights (interpolation only). */
    private record Rows(int[][] enc, int[][] decIn, int[][] decOut, int[][] noised, double[] alpha) {}

    /** The batch's rows (noise drawn in row order, as with one worker), split into {@code n} contiguous parts. */
    private List<AutoencoderBatch> makeBatches(int[] rows, boolean interp, Random rnd, int n) {
        Rows r = makeRows(rows, interp, rnd);
        int parts = Math.min(n, rows.length);
        List<AutoencoderBatch> out = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            int from = rows.length * p / parts;
            int to = rows.length * (p + 1) / parts;
            int[][] e = java.util.Arrays.copyOfRange(r.enc(), from, to);
            int[][] din = java.util.Arrays.copyOfRange(r.decIn(), from, to);
            int[][] dout = java.util.Arrays.copyOfRange(r.decOut(), from, to);
            out.add(interp ? AutoencoderBatch.interpolated(e, java.util.Arrays.copyOfRange(r.noised(), from, to),
                    java.util.Arrays.copyOfRange(r.alpha(), from, to), din, dout, o.model(), DataType.FLOAT)
                    : AutoencoderBatch.plain(e, din, dout, o.model(), DataType.FLOAT));
        }
        return out;
    }

    private Rows makeRows(int[] rows, boolean interp, Random rnd) {
        int n = rows.length;
        int[][] e = new int[n][];
        int[][] din = new int[n][];
        int[][] dout = new int[n][];
        int[][] noised = new int[n][];
        double[] alpha = new double[n];
        for (int i = 0; i < n; i++) {
            e[i] = enc.get(rows[i]);
            din[i] = decIn.get(rows[i]);
            dout[i] = decOut.get(rows[i]);
            if (interp) {
                noised[i] = o.noise().apply(e[i], rnd);
                alpha[i] = rnd.nextDouble();
            } else if (rnd.nextDouble() < o.noisedShare()) {
                e[i] = o.noise().apply(e[i], rnd);
            }
        }
        return new Rows(e, din, dout, noised, alpha);
    }

    private void metrics(long step, double loss, double rate, double norm, boolean interp, long tokens, long t0) {
        double secs = (System.nanoTime() - t0) / 1e9;
        Path f = o.outDir().resolve("metrics.csv");
        try {
            Files.createDirectories(o.outDir());
            boolean header = !Files.exists(f);
            try (Writer w = Files.newBufferedWriter(f, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND)) {
                if (header) {
                    w.write("step,phase,loss,lr,grad_norm,tokens_per_s\n");
                }
                w.write(String.format(java.util.Locale.ROOT, "%d,%s,%.5f,%.3g,%.4f,%.1f%n", step,
                        interp ? "interp" : "dae", loss, rate, norm, tokens / Math.max(1e-9, secs)));
            }
        } catch (IOException ex) {
            throw new InvalidInputException("cannot write metrics to " + f + ": " + ex.getMessage(), ex);
        }
        if (step % 10 == 0) {
            LOG.info("step {} {} loss {} lr {} |g| {}", step, interp ? "interp" : "dae",
                    String.format(java.util.Locale.ROOT, "%.4f", loss), String.format(java.util.Locale.ROOT, "%.2e", rate),
                    String.format(java.util.Locale.ROOT, "%.3f", norm));
        }
    }

    /**
     * Writes {@code encoder/}, {@code decoder/} (M2M100 layout) and {@code tokenizer/} under the output directory.
     *
     * @param g the trained graph
     */
    public void export(AutoencoderGraph g) {
        M2M100Export.write(o.model(), g.parameters(), o.outDir().resolve("encoder"), o.outDir().resolve("decoder"));
        Path tok = o.outDir().resolve("tokenizer");
        try {
            Files.createDirectories(tok);
            for (String f : List.of(SonarTokenizer.MODEL_FILE, SonarTokenizer.LANGUAGES_FILE, SonarTokenizer.CONFIG_FILE)) {
                Path src = o.tokenizerDir().resolve(f);
                if (Files.exists(src)) {
                    Files.copy(src, tok.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new InvalidInputException("cannot copy the tokenizer to " + tok + ": " + e.getMessage(), e);
        }
    }
}
