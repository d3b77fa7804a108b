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
    /**
     * One sentence of a micro-batch after noising.
     *
     * @param encoder encoder input (possibly noised)
     * @param decoderInput teacher-forcing decoder input
     * @param decoderTarget its targets
     * @param noised interpolation phase: the noised encoder input; null otherwise
     * @param alpha interpolation phase: the weight of the clean embedding
     * @param vectorNoise noise of the decoder's sentence vector (standard normals times the scale), or null
     */
    record Example(int[] encoder, int[] decoderInput, int[] decoderTarget, int[] noised, double alpha,
            double[] vectorNoise) {}

    private final AutoencoderTrainer.Options options;
    private final AutoencoderTrainer.Corpus corpus;
    private final long seed;
    private final AutoencoderGraph graph;

    AutoencoderTask(AutoencoderTrainer.Options options, AutoencoderTrainer.Corpus corpus, long seed, AutoencoderGraph graph) {
        this.options = options;
        this.corpus = corpus;
        this.seed = seed;
        this.graph = graph;
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
        Random rnd = new Random(seed * 31 + step * 1_000_033L + microBatch * 7_919L);
        // a stream of its own, so that token noise is the same with or without vector noise
        Random vectorRnd = new Random(~(seed * 31 + step * 1_000_033L + microBatch * 7_919L));
        boolean interp = interpolating(step);
        List<Example> out = new ArrayList<>(rows.length);
        for (int r : rows) {
            int[] e = corpus.encoder().get(r);
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
            out.add(new Example(e, corpus.decoderInput().get(r), corpus.decoderTarget().get(r), noised, alpha, vn));
        }
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
            g = AutoencoderGraph.build(options.model(), copy, graph.dtype());
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
        AutoencoderBatch b = examples.get(0).noised() != null
                ? AutoencoderBatch.interpolated(enc, noised, alpha, din, dout, options.model(), dt)
                : AutoencoderBatch.plain(enc, din, dout, options.model(), dt);
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
