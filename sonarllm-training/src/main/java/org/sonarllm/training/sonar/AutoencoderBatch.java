package org.sonarllm.training.sonar;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.InvalidInputException;
import org.sonarllm.model.SonarConfig;

/**
 * One training batch of the {@link AutoencoderGraph}: encoder ids (right-padded with
 * {@link SonarConfig#PAD}), the mixing matrix that forms the decoder's sentence vectors, and the
 * teacher-forcing decoder input / target ids.
 *
 * <pre>{@code
 * AutoencoderBatch b = AutoencoderBatch.plain(encIds, decIn, decTarget, cfg, DataType.FLOAT);
 * }</pre>
 *
 * <p>Immutable.
 */
public final class AutoencoderBatch {
    /** Sequence lengths of a batch are rounded up to a multiple of this ({@link #padded}). */
    static final int LENGTH_MULTIPLE = 8;
    private final Map<String, INDArray> feeds;
    private final long targetTokens;
    private final int[] encoderIds;
    private final int[] decoderIds;
    private final int[] labels;

    private AutoencoderBatch(Map<String, INDArray> feeds, long targetTokens, int[] encoderIds, int[] decoderIds,
            int[] labels) {
        this.feeds = feeds;
        this.targetTokens = targetTokens;
        this.encoderIds = encoderIds;
        this.decoderIds = decoderIds;
        this.labels = labels;
    }

    /** @return encoder ids, row-major over the padded [rows, len] grid (shared array: do not modify) */
    int[] encoderIds() {
        return encoderIds;
    }

    /** @return decoder input ids, row-major over the padded [rows, len] grid (shared array) */
    int[] decoderIds() {
        return decoderIds;
    }

    /** @return the target id of every decoder position, -1 at padding (shared array) */
    int[] labels() {
        return labels;
    }

    /** @return label tokens in the batch */
    public long targetTokens() {
        return targetTokens;
    }

    /**
     * The same batch with noise on the decoder's sentence vectors: row i's vector {@code e_i} becomes
     * {@code e_i + noise_i * rms(e_i)} (so the scale of {@code noise} is relative to the vector's RMS).
     *
     * @param noise [rows][d], e.g. standard normals times a scale
     * @return a new batch
     * @throws InvalidInputException if the shape does not match the batch
     */
    public AutoencoderBatch withVectorNoise(double[][] noise) {
        INDArray current = feeds.get(AutoencoderGraph.VECTOR_NOISE);
        if (current == null || noise.length != current.size(0)
                || java.util.Arrays.stream(noise).anyMatch(r -> r.length != current.size(1))) {
            throw new InvalidInputException("expected vector noise of shape " + (current == null ? "none"
                    : java.util.Arrays.toString(current.shape())) + ", found " + noise.length + " rows");
        }
        Map<String, INDArray> f = new LinkedHashMap<>(feeds);
        f.put(AutoencoderGraph.VECTOR_NOISE, Nd4j.createFromArray(noise).castTo(current.dataType()));
        return new AutoencoderBatch(f, targetTokens, encoderIds, decoderIds, labels);
    }

    /**
     * The same batch with dropout masks for a graph built with dropout ({@link AutoencoderGraph#dropoutSites}):
     * at every site each real position's d values are 0 with probability {@code p} and {@code 1 / (1 - p)}
     * otherwise (inverted dropout: the expected branch is unchanged); padded positions keep 1. Row i's masks
     * derive from {@code rowSeeds[i]} and the site alone, so a sentence gets the same masks in any batch
     * (any split over workers, any padding).
     *
     * @param p dropout probability in [0, 1)
     * @param rowSeeds one seed per decoder row
     * @param encoder also drop in the encoder (whose rows must then be the decoder's: a plain batch)
     * @param cfg the shape the batch was built for
     * @return a new batch
     * @throws InvalidInputException on a probability outside [0, 1), or seeds or rows that do not match
     */
    public AutoencoderBatch withDropout(double p, long[] rowSeeds, boolean encoder, SonarConfig cfg) {
        int rows = rowSeeds.length;
        if (!(p >= 0 && p < 1) || decoderIds == null || rows == 0 || labels.length % rows != 0
                || (encoder && encoderIds.length % rows != 0)) {
            throw new InvalidInputException("expected a dropout probability in [0, 1) and one seed per decoder row of "
                    + "the batch, found p=" + p + " and " + rows + " seeds");
        }
        int decLen = labels.length / rows;
        Map<String, INDArray> f = new LinkedHashMap<>(feeds);
        int site = 0;
        for (String name : AutoencoderGraph.dropoutSites(cfg, false)) {
            f.put(name, masks(p, rowSeeds, site++, decLen, pos -> labels[pos] >= 0, cfg.model()));
        }
        if (encoder) {
            int encLen = encoderIds.length / rows;
            for (String name : AutoencoderGraph.dropoutSites(cfg, true)) {
                f.put(name, masks(p, rowSeeds, site++, encLen, pos -> encoderIds[pos] != SonarConfig.PAD, cfg.model()));
            }
        }
        return new AutoencoderBatch(f, targetTokens, encoderIds, decoderIds, labels);
    }

    private INDArray masks(double p, long[] rowSeeds, int site, int len, java.util.function.IntPredicate real, int d) {
        float[] m = new float[rowSeeds.length * len * d];
        java.util.Arrays.fill(m, 1f);
        float kept = (float) (1 / (1 - p));
        for (int i = 0; i < rowSeeds.length; i++) {
            java.util.SplittableRandom r = new java.util.SplittableRandom(rowSeeds[i] * 0x9E3779B97F4A7C15L + site);
            for (int t = 0; t < len && real.test(i * len + t); t++) {
                int o = (i * len + t) * d;
                for (int j = 0; j < d; j++) {
                    m[o + j] = r.nextDouble() < p ? 0f : kept;
                }
            }
        }
        DataType dt = feeds.get(AutoencoderGraph.MIX).dataType();
        return Nd4j.createFromArray(m).reshape(rowSeeds.length * len, d).castTo(dt);
    }

    /** @return a fresh copy of the placeholder map */
    public Map<String, INDArray> feeds() {
        return new LinkedHashMap<>(feeds);
    }

    /**
     * Auto-encoding: sentence i of the decoder is conditioned on encoder row i.
     *
     * @param encoderIds [n][*] encoder inputs (possibly noised), ragged
     * @param decoderInput [n][*] decoder inputs {@code [</s>, lang] + pieces}, ragged
     * @param decoderTarget [n][*] targets {@code lang + pieces + [</s>]}, same lengths as the inputs
     * @param cfg shape
     * @param dt FLOAT or DOUBLE
     * @return the batch
     */
    public static AutoencoderBatch plain(int[][] encoderIds, int[][] decoderInput, int[][] decoderTarget,
            SonarConfig cfg, DataType dt) {
        int n = encoderIds.length;
        double[][] mix = new double[n][n];
        for (int i = 0; i < n; i++) {
            mix[i][i] = 1;
        }
        return build(encoderIds, mix, decoderInput, decoderTarget, cfg, dt);
    }

    /**
     * SONAR interpolation: decoder row i is conditioned on {@code a_i * enc(clean_i) + (1 - a_i) * enc(noised_i)}.
     *
     * @param clean [n][*] clean encoder inputs
     * @param noised [n][*] noised encoder inputs
     * @param alpha [n] weights of the clean embeddings
     * @param decoderInput [n][*] decoder inputs of the clean sentences
     * @param decoderTarget [n][*] their targets
     * @param cfg shape
     * @param dt FLOAT or DOUBLE
     * @return the batch
     */
    public static AutoencoderBatch interpolated(int[][] clean, int[][] noised, double[] alpha, int[][] decoderInput,
            int[][] decoderTarget, SonarConfig cfg, DataType dt) {
        int n = clean.length;
        if (noised.length != n || alpha.length != n) {
            throw new InvalidInputException("expected " + n + " noised rows and weights, found " + noised.length
                    + " and " + alpha.length);
        }
        int[][] enc = new int[2 * n][];
        double[][] mix = new double[n][2 * n];
        for (int i = 0; i < n; i++) {
            enc[i] = clean[i];
            enc[n + i] = noised[i];
            mix[i][i] = alpha[i];
            mix[i][n + i] = 1 - alpha[i];
        }
        return build(enc, mix, decoderInput, decoderTarget, cfg, dt);
    }

    static AutoencoderBatch encodeOnly(long[][] encoderIds, SonarConfig cfg, DataType dt) {
        int[][] ids = new int[encoderIds.length][];
        for (int i = 0; i < ids.length; i++) {
            int len = 0;
            while (len < encoderIds[i].length && encoderIds[i][len] != SonarConfig.PAD) {
                len++;
            }
            ids[i] = new int[len];
            for (int t = 0; t < len; t++) {
                ids[i][t] = Math.toIntExact(encoderIds[i][t]);
            }
        }
        Map<String, INDArray> f = new LinkedHashMap<>();
        return new AutoencoderBatch(f, 0, encoderFeeds(ids, cfg, dt, f), null, null);
    }

    private static int[] encoderFeeds(int[][] enc, SonarConfig cfg, DataType dt, Map<String, INDArray> f) {
        int s = 0;
        for (int[] r : enc) {
            if (r.length == 0) {
                throw new InvalidInputException("expected non-empty encoder rows, found an empty one");
            }
            s = Math.max(s, r.length);
        }
        s = padded(s, cfg);
        int[] ids = new int[enc.length * s];
        java.util.Arrays.fill(ids, SonarConfig.PAD);
        double[][] mask = new double[enc.length][s];
        for (int i = 0; i < enc.length; i++) {
            for (int t = 0; t < enc[i].length; t++) {
                ids[i * s + t] = checkId(enc[i][t], cfg);
                mask[i][t] = 1;
            }
        }
        f.put(AutoencoderGraph.ENC_MASK, Nd4j.createFromArray(mask).castTo(dt));
        f.put(AutoencoderGraph.ENC_POS, Nd4j.createFromArray(Sinusoids.table(s, cfg.model())).castTo(dt));
        return ids;
    }

    private static AutoencoderBatch build(int[][] enc, double[][] mix, int[][] decIn, int[][] decTarget,
            SonarConfig cfg, DataType dt) {
        int n = mix.length;
        if (decIn.length != n || decTarget.length != n) {
            throw new InvalidInputException("expected " + n + " decoder rows, found " + decIn.length + " inputs and "
                    + decTarget.length + " targets");
        }
        Map<String, INDArray> f = new LinkedHashMap<>();
        int[] encIds = encoderFeeds(enc, cfg, dt, f);
        int t = 0;
        for (int i = 0; i < n; i++) {
            if (decIn[i].length != decTarget[i].length || decIn[i].length == 0) {
                throw new InvalidInputException("expected equal non-zero decoder input and target lengths, found "
                        + decIn[i].length + " and " + decTarget[i].length + " in row " + i);
            }
            t = Math.max(t, decIn[i].length);
        }
        t = padded(t, cfg);
        int[] ids = new int[n * t];
        java.util.Arrays.fill(ids, SonarConfig.PAD);
        int[] labels = new int[n * t];
        java.util.Arrays.fill(labels, -1);
        long count = 0;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < decIn[i].length; k++) {
                ids[i * t + k] = checkId(decIn[i][k], cfg);
                labels[i * t + k] = checkId(decTarget[i][k], cfg);
                count++;
            }
        }
        double[][] causal = new double[t][t];
        for (int r = 0; r < t; r++) {
            for (int c = r + 1; c < t; c++) {
                causal[r][c] = -1e9;
            }
        }
        f.put(AutoencoderGraph.MIX, Nd4j.createFromArray(mix).castTo(dt));
        f.put(AutoencoderGraph.VECTOR_NOISE, Nd4j.zeros(dt, n, cfg.model()));
        f.put(AutoencoderGraph.DEC_POS, Nd4j.createFromArray(Sinusoids.table(t, cfg.model())).castTo(dt));
        f.put(AutoencoderGraph.CAUSAL, Nd4j.createFromArray(causal).castTo(dt));
        return new AutoencoderBatch(f, count, encIds, ids, labels);
    }

    /**
     * The batch's sequence length, checked against the position limit and rounded up to a multiple of
     * {@link #LENGTH_MULTIPLE} (within that limit): the padding is masked (encoder) or comes after every real position of a causal decoder with
     * ignored labels, so losses and gradients are unchanged, and batches of sentences bucketed by length
     * take a handful of shapes. SameDiff's array cache reuses op outputs of exactly the same shape only; with
     * a shape per batch every op output was a fresh buffer (zeroed, page-faulted): 47 % of a step.
     */
    static int padded(int len, SonarConfig cfg) {
        int longest = cfg.maxPositions() - SonarConfig.PAD - 1; // positions start at PAD + 1
        if (len > longest) {
            throw new InvalidInputException("expected sequences of at most " + longest
                    + " tokens, found " + len);
        }
        return Math.min((len + LENGTH_MULTIPLE - 1) / LENGTH_MULTIPLE * LENGTH_MULTIPLE, longest);
    }

    private static int checkId(int id, SonarConfig cfg) {
        if (id < 0 || id >= cfg.vocab()) {
            throw new InvalidInputException("expected token ids in [0, " + cfg.vocab() + "), found " + id);
        }
        return id;
    }
}
