package org.sonarllm.training.sonar;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.training.EpochOrder;
import org.sonarllm.training.TrainingTask;

/**
 * The SONAR-style autoencoder as a {@link TrainingTask}: examples are tokenized sentences in
 * length-bucketed batches; until {@code interpolationFrom} a share of the encoder inputs is noised
 * (denoising auto-encoding, every parameter trained), from then on the decoder alone is trained on random
 * interpolations between each sentence's embedding and a noised version's. Noise derives from (seed,
 * step, micro-batch), so a resume and any number of replicas see the same batches.
 */
final class AutoencoderTask implements TrainingTask<AutoencoderTask.Example> {
    private static final int VALIDATION_BATCH = 64;

    /**
     * One sentence of a micro-batch after noising.
     *
     * @param encoder encoder input (possibly noised)
     * @param decoderInput teacher-forcing decoder input
     * @param decoderTarget its targets
     * @param noised interpolation phase: the noised encoder input; null otherwise
     * @param alpha interpolation phase: the weight of the clean embedding
     * @param vectorNoise noise of the decoder's sentence vector (standard normals times the scale), or null
     * @param dropoutSeed seed of the sentence's dropout masks at this step
     */
    record Example(int[] encoder, int[] decoderInput, int[] decoderTarget, int[] noised, double alpha,
            double[] vectorNoise, long dropoutSeed) {}

    private final AutoencoderTrainer.Options options;
    private final AutoencoderTrainer.Corpus corpus;
    private final long seed;
    private final AutoencoderGraph graph;
    private final RunningText text;

    private final String start;

    AutoencoderTask(AutoencoderTrainer.Options options, AutoencoderTrainer.Corpus corpus, long seed, AutoencoderGraph graph) {
        this(options, corpus, seed, graph, null);
    }

    /**
     * @param start content hash of the weights the run started from ({@link AutoencoderTrainer.Options#initFrom}),
     *     part of the fingerprint, or null for a random initialisation
     */
    AutoencoderTask(AutoencoderTrainer.Options options, AutoencoderTrainer.Corpus corpus, long seed, AutoencoderGraph graph,
            String start) {
        this.start = start;
        this.options = options;
        this.corpus = corpus;
        this.seed = seed;
        this.graph = graph;
        this.text = options.passageShare() > 0 ? new RunningText(corpus.text()) : null;
    }

    @Override
    public Map<String, String> fingerprint() {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("task", "autoencoder");
        m.put("model", String.valueOf(options.model()));
        m.put("max tokens", Integer.toString(options.maxTokens()));
        m.put("interpolation from", Long.toString(options.interpolationFrom()));
        m.put("noise", String.valueOf(options.noise()));
        m.put("noised share", String.valueOf(options.noisedShare()));
        m.put("vector noise", String.valueOf(options.vectorNoise()));
        m.put("language", options.language().code());
        if (options.dropout() > 0) {
            m.put("dropout", String.valueOf(options.dropout()));
        }
        if (options.passageShare() > 0) {
            m.put("passage share", String.valueOf(options.passageShare()));
        }
        if (start != null) {
            m.put("initial weights", start);
        }
        m.put("data", corpus.fingerprint());
        return m;
    }

    @Override
    public int size() {
        return corpus.encoder().size();
    }

    @Override
    public String unit() {
        return "sentence";
    }

    @Override
    public List<int[]> epochBatches(int epoch, long runSeed, int batchSize) {
        return EpochOrder.lengthBucketed(corpus.encoder().stream().mapToInt(e -> e.length).toArray(), batchSize, runSeed,
                epoch);
    }

    private boolean interpolating(long step) {
        return step >= options.interpolationFrom();
    }

    @Override
    public List<Example> examples(int[] rows, long step, int microBatch) {
        long streams = seed * 31 + step * 1_000_033L + microBatch * 7_919L;
        Random rnd = new Random(streams);
        // a stream of its own, so that token noise is the same with or without vector noise
        Random vectorRnd = new Random(~streams);
        Random passageRnd = new Random(streams ^ 0x9E3779B97F4A7C15L);
        boolean interp = interpolating(step);
        List<Example> out = new ArrayList<>(rows.length);
        for (int r : rows) {
            int[] e = corpus.encoder().get(r);
            int[] din = corpus.decoderInput().get(r);
            int[] dout = corpus.decoderTarget().get(r);
            if (text != null && passageRnd.nextDouble() < options.passageShare()) {
                int[] p = text.passage(e.length - 2, passageRnd);
                e = withPieces(e, 1, p, 1);
                din = withPieces(din, 2, p, 0);
                dout = e;
            }
            int[] noised = null;
            double alpha = 1;
            if (interp) {
                noised = options.noise().apply(e, rnd);
                alpha = rnd.nextDouble();
            } else if (rnd.nextDouble() < options.noisedShare()) {
                e = options.noise().apply(e, rnd);
            }
            double[] vn = null;
            if (options.vectorNoise() > 0) {
                vn = new double[options.model().model()];
                for (int j = 0; j < vn.length; j++) {
                    vn[j] = vectorRnd.nextGaussian() * options.vectorNoise();
                }
            }
            out.add(new Example(e, din, dout, noised, alpha, vn,
                    streams * 0xBF58476D1CE4E5B9L + r));
        }
        return out;
    }

    /** @return {@code ids}' first {@code head} ids, then {@code pieces}, then its last {@code tail} ids */
    private static int[] withPieces(int[] ids, int head, int[] pieces, int tail) {
        int[] out = new int[head + pieces.length + tail];
        System.arraycopy(ids, 0, out, 0, head);
        System.arraycopy(pieces, 0, out, head, pieces.length);
        System.arraycopy(ids, ids.length - tail, out, head + pieces.length, tail);
        return out;
    }

    @Override
    public Map<String, INDArray> parameters() {
        return graph.parameters();
    }

    @Override
    public List<String> trainable(long step) {
        return interpolating(step) ? graph.decoderParameters() : List.copyOf(graph.parameters().keySet());
    }

    @Override
    public String phase(long step) {
        return interpolating(step) ? "interp" : "dae";
    }

    @Override
    public Replica<Example> replica(int index) {
        AutoencoderGraph g = graph;
        if (index > 0) {
            Map<String, INDArray> copy = new LinkedHashMap<>();
            graph.parameters().forEach((k, v) -> copy.put(k, v.dup()));
            g = AutoencoderGraph.build(options.model(), copy, graph.dtype(), graph.hasDropout());
        }
        AutoencoderGraph rg = g;
        return new Replica<>() {
            @Override
            public Map<String, INDArray> parameters() {
                return rg.parameters();
            }

            @Override
            public Gradients gradients(List<Example> examples, List<String> names) {
                AutoencoderBatch b = batch(examples, rg.dtype());
                AutoencoderGraph.LossAndGradients lg = rg.lossAndGradients(b, names);
                return new Gradients(lg.loss(), b.targetTokens(), examples.size(), b.targetTokens(), lg.gradients());
            }
        };
    }

    /**
     * The clean reconstruction loss of the held-out sentences with the current parameters: no input noise,
     * no vector noise, mean negative log-likelihood per target token (batches of {@value #VALIDATION_BATCH}
     * sentences of similar length).
     */
    @Override
    public double validationLoss() {
        AutoencoderTrainer.Corpus v = corpus.validation();
        if (v == null) {
            return Double.NaN;
        }
        Integer[] byLength = java.util.stream.IntStream.range(0, v.encoder().size()).boxed().toArray(Integer[]::new);
        java.util.Arrays.sort(byLength, java.util.Comparator.comparingInt(i -> v.encoder().get(i).length));
        double nll = 0;
        long tokens = 0;
        for (int from = 0; from < byLength.length; from += VALIDATION_BATCH) {
            int n = Math.min(VALIDATION_BATCH, byLength.length - from);
            int[][] enc = new int[n][];
            int[][] din = new int[n][];
            int[][] dout = new int[n][];
            for (int i = 0; i < n; i++) {
                int r = byLength[from + i];
                enc[i] = v.encoder().get(r);
                din[i] = v.decoderInput().get(r);
                dout[i] = v.decoderTarget().get(r);
            }
            AutoencoderBatch b = AutoencoderBatch.plain(enc, din, dout, options.model(), graph.dtype());
            nll += graph.loss(b) * b.targetTokens();
            tokens += b.targetTokens();
        }
        return nll / tokens;
    }

    private AutoencoderBatch batch(List<Example> examples, DataType dt) {
        int n = examples.size();
        int[][] enc = new int[n][];
        int[][] din = new int[n][];
        int[][] dout = new int[n][];
        int[][] noised = new int[n][];
        double[] alpha = new double[n];
        for (int i = 0; i < n; i++) {
            Example x = examples.get(i);
            enc[i] = x.encoder();
            din[i] = x.decoderInput();
            dout[i] = x.decoderTarget();
            noised[i] = x.noised();
            alpha[i] = x.alpha();
        }
        boolean interp = examples.get(0).noised() != null;
        AutoencoderBatch b = interp
                ? AutoencoderBatch.interpolated(enc, noised, alpha, din, dout, options.model(), dt)
                : AutoencoderBatch.plain(enc, din, dout, options.model(), dt);
        if (options.dropout() > 0) {
            b = b.withDropout(options.dropout(), examples.stream().mapToLong(Example::dropoutSeed).toArray(), !interp,
                    options.model());
        }
        if (examples.get(0).vectorNoise() == null) {
            return b;
        }
        double[][] vn = new double[n][];
        for (int i = 0; i < n; i++) {
            vn[i] = examples.get(i).vectorNoise();
        }
        return b.withVectorNoise(vn);
    }
}
