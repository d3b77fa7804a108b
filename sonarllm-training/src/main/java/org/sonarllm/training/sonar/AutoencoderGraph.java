package org.sonarllm.training.sonar;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.InvalidInputException;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.training.internal.Gradients;
import org.sonarllm.training.model.VocabularyHead;

/**
 * SameDiff graph of a SONAR-style sentence autoencoder with its teacher-forcing loss. The encoder is an
 * M2M100 encoder (scaled token embeddings plus sinusoidal positions offset by padding_idx + 1, pre-LN
 * layers, final LayerNorm) followed by masked mean pooling to one vector per sentence; the decoder is an
 * M2M100 decoder whose cross-attention sees that single vector (so it reduces to
 * {@code out_proj(v_proj(e))}), with the output projection tied to the decoder embeddings. Exactly the
 * semantics of the tiny-a reference, so {@link M2M100Export} can write the parameters in the Hugging
 * Face layout and the project's converter runs them on ONNX Runtime.
 *
 * <p>Parameters are named {@code enc.<encoder key>} and {@code dec.<decoder key without model.decoder.>}.
 * The vector passed to the decoder is {@code mix @ embeddings} (plus, optionally, Gaussian noise scaled by
 * each vector's RMS, {@link AutoencoderBatch#withVectorNoise}): the identity for plain (denoising)
 * auto-encoding, or {@code [diag(a) | diag(1-a)]} over clean and noised sentences for SONAR's
 * interpolation fine-tuning.
 *
 * <pre>{@code
 * Map<String, INDArray> p = AutoencoderGraph.initParameters(cfg, 42);
 * AutoencoderGraph g = AutoencoderGraph.build(cfg, p, DataType.FLOAT);
 * double loss = g.loss(AutoencoderBatch.plain(encIds, decIds, cfg, DataType.FLOAT));
 * }</pre>
 *
 * <p>Not thread-safe.
 */
public final class AutoencoderGraph {
    static final String ENC_MASK = "ae_enc_mask";
    static final String ENC_POS = "ae_enc_pos";
    static final String MIX = "ae_mix";
    /** Standard-normal noise times its scale [n, d], added to the decoder's sentence vectors relative to their RMS. */
    static final String VECTOR_NOISE = "ae_vector_noise";
    static final String DEC_POS = "ae_dec_pos";
    static final String CAUSAL = "ae_causal";
    /** Gathered encoder token embeddings [rows * len, d] (a variable re-set every call). */
    static final String ENC_X0 = "ae_enc_x0";
    /** Gathered decoder token embeddings [rows * len, d]. */
    static final String DEC_X0 = "ae_dec_x0";
    /** dLoss/dHidden fed back for the backward pass. */
    static final String HIDDEN_GRAD = "ae_hidden_grad";
    /** Final decoder states [rows * len, d] (after the last LayerNorm). */
    static final String HIDDEN = "ae_hidden";
    /** Surrogate scalar sum(hidden * hidden_grad) whose parameter gradients equal the loss's. */
    static final String SURROGATE = "ae_surrogate";
    /** Sentence embeddings [n, d] of the encoder rows. */
    public static final String EMBEDDINGS = "ae_embeddings";
    static final String ENC_TABLE = "enc.embed_tokens.weight";
    static final String DEC_TABLE = "dec.embed_tokens.weight";
    private static final double LN_EPS = 1e-5;

    /** Name prefix of the dropout-mask placeholders ({@link #dropoutSites}). */
    static final String DROP = "ae_drop_";

    private final SameDiff sd;
    private final SonarConfig cfg;
    private final DataType dtype;
    private final boolean dropout;
    private final List<String> encoderParams = new ArrayList<>();
    private final List<String> decoderParams = new ArrayList<>();
    private INDArray encTable;
    private INDArray decTable;

    private AutoencoderGraph(SameDiff sd, SonarConfig cfg, DataType dtype, boolean dropout) {
        this.sd = sd;
        this.cfg = cfg;
        this.dtype = dtype;
        this.dropout = dropout;
    }

    /**
     * The placeholders of a graph built with dropout: one mask [rows * len, d] per residual branch (fairseq's
     * {@code dropout} sites: the embeddings, each layer's self-attention output, the decoder's cross-attention
     * output and each FFN output), multiplied into the branch; {@link AutoencoderBatch#withDropout} draws them.
     *
     * @param cfg shape
     * @param encoder the encoder's sites (true) or the decoder's
     * @return placeholder names in a fixed order
     */
    static List<String> dropoutSites(SonarConfig cfg, boolean encoder) {
        List<String> sites = new ArrayList<>();
        String side = encoder ? "enc" : "dec";
        sites.add(DROP + side + "_emb");
        for (int l = 0; l < (encoder ? cfg.encoderLayers() : cfg.decoderLayers()); l++) {
            sites.add(DROP + side + "_" + l + "_attn");
            if (!encoder) {
                sites.add(DROP + side + "_" + l + "_cross");
            }
            sites.add(DROP + side + "_" + l + "_ffn");
        }
        return sites;
    }

    /**
     * Random initial parameters: linear weights N(0, 0.02^2) (output projections of residual branches
     * scaled by 1/sqrt(2 * layers)), except the decoder's path from the sentence vector
     * ({@code encoder_attn.v_proj}, {@code out_proj}), drawn N(0, 1/d) so that the vector reaches the
     * residual stream at the scale of the token embeddings from the first step (with 0.02 the decoder
     * first learns to ignore it: measured 4.07 vs 4.66 mean loss at step 225, d=128, batch 64);
     * embeddings N(0, 1/d), biases 0, LayerNorm weights 1.
     *
     * @param cfg shape
     * @param seed RNG seed
     * @return parameters by name (float32)
     */
    public static Map<String, INDArray> initParameters(SonarConfig cfg, long seed) {
        Random rnd = new Random(seed);
        Map<String, INDArray> p = new LinkedHashMap<>();
        int d = cfg.model();
        p.put("enc.embed_tokens.weight", normal(rnd, 1.0 / Math.sqrt(d), cfg.vocab(), d));
        for (int l = 0; l < cfg.encoderLayers(); l++) {
            String k = "enc.layers." + l + ".";
            double outStd = 0.02 / Math.sqrt(2.0 * cfg.encoderLayers());
            ln(p, k + "self_attn_layer_norm", d);
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj"}) {
                linear(p, rnd, k + "self_attn." + proj, d, d, 0.02);
            }
            linear(p, rnd, k + "self_attn.out_proj", d, d, outStd);
            ln(p, k + "final_layer_norm", d);
            linear(p, rnd, k + "fc1", cfg.encoderFfn(), d, 0.02);
            linear(p, rnd, k + "fc2", d, cfg.encoderFfn(), outStd);
        }
        ln(p, "enc.layer_norm", d);
        p.put("dec.embed_tokens.weight", normal(rnd, 1.0 / Math.sqrt(d), cfg.vocab(), d));
        for (int l = 0; l < cfg.decoderLayers(); l++) {
            String k = "dec.layers." + l + ".";
            double outStd = 0.02 / Math.sqrt(3.0 * cfg.decoderLayers());
            ln(p, k + "self_attn_layer_norm", d);
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj"}) {
                linear(p, rnd, k + "self_attn." + proj, d, d, 0.02);
            }
            linear(p, rnd, k + "self_attn.out_proj", d, d, outStd);
            linear(p, rnd, k + "encoder_attn.v_proj", d, d, 1.0 / Math.sqrt(d));
            linear(p, rnd, k + "encoder_attn.out_proj", d, d, 1.0 / Math.sqrt(d));
            ln(p, k + "final_layer_norm", d);
            linear(p, rnd, k + "fc1", cfg.decoderFfn(), d, 0.02);
            linear(p, rnd, k + "fc2", d, cfg.decoderFfn(), outStd);
        }
        ln(p, "dec.layer_norm", d);
        return p;
    }

    private static INDArray normal(Random rnd, double std, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextGaussian() * std);
        }
        return Nd4j.createFromArray(v).reshape(rows, cols);
    }

    private static void linear(Map<String, INDArray> p, Random rnd, String name, int out, int in, double std) {
        p.put(name + ".weight", normal(rnd, std, out, in));
        p.put(name + ".bias", Nd4j.zeros(DataType.FLOAT, out));
    }

    private static void ln(Map<String, INDArray> p, String name, int d) {
        p.put(name + ".weight", Nd4j.ones(DataType.FLOAT, d));
        p.put(name + ".bias", Nd4j.zeros(DataType.FLOAT, d));
    }

    /**
     * @param cfg shape
     * @param params parameters (as from {@link #initParameters}); the arrays become the graph's live variables
     * @param dtype FLOAT or DOUBLE
     * @return the graph (its loss variable is the surrogate of the head's gradient)
     */
    public static AutoencoderGraph build(SonarConfig cfg, Map<String, INDArray> params, DataType dtype) {
        return build(cfg, params, dtype, false);
    }

    /**
     * As {@link #build(SonarConfig, Map, DataType)}; with {@code dropout}, every residual branch is
     * multiplied by a mask placeholder ({@link #dropoutSites}) that a batch may carry
     * ({@link AutoencoderBatch#withDropout}); a batch without masks runs with all-ones masks, i.e. as the
     * graph without dropout (evaluation).
     *
     * @param cfg shape
     * @param params parameters; the arrays become the graph's live variables
     * @param dtype FLOAT or DOUBLE
     * @param dropout define the dropout-mask placeholders
     * @return the graph
     */
    public static AutoencoderGraph build(SonarConfig cfg, Map<String, INDArray> params, DataType dtype, boolean dropout) {
        Map<String, INDArray> expected = initParameters(cfg, 0);
        for (Map.Entry<String, INDArray> e : expected.entrySet()) {
            INDArray a = params.get(e.getKey());
            if (a == null || !java.util.Arrays.equals(a.shape(), e.getValue().shape())) {
                throw new InvalidInputException("expected parameter " + e.getKey() + " of shape "
                        + java.util.Arrays.toString(e.getValue().shape()) + ", found "
                        + (a == null ? "none" : java.util.Arrays.toString(a.shape())));
            }
        }
        AutoencoderGraph g = new AutoencoderGraph(SameDiff.create(), cfg, dtype, dropout);
        for (String name : expected.keySet()) {
            INDArray a = params.get(name);
            a = a.dataType() == dtype ? a : a.castTo(dtype);
            if (name.equals(ENC_TABLE)) {
                g.encTable = a;
            } else if (name.equals(DEC_TABLE)) {
                g.decTable = a;
            } else {
                g.sd.var(name, a);
            }
            (name.startsWith("enc.") ? g.encoderParams : g.decoderParams).add(name);
        }
        g.define();
        return g;
    }

    private SDVariable p(String name) {
        return sd.getVariable(name);
    }

    private void define() {
        int d = cfg.model();
        SDVariable encMask = sd.placeHolder(ENC_MASK, dtype, -1, -1);
        SDVariable encPos = sd.placeHolder(ENC_POS, dtype, -1, d);
        SDVariable mix = sd.placeHolder(MIX, dtype, -1, -1);
        SDVariable vectorNoise = sd.placeHolder(VECTOR_NOISE, dtype, -1, d);
        SDVariable decPos = sd.placeHolder(DEC_POS, dtype, -1, d);
        SDVariable causal = sd.placeHolder(CAUSAL, dtype, -1, -1);
        SDVariable hiddenGrad = sd.placeHolder(HIDDEN_GRAD, dtype, -1, d);
        SDVariable encX0 = sd.var(ENC_X0, Nd4j.zeros(dtype, 1, d));
        SDVariable decX0 = sd.var(DEC_X0, Nd4j.zeros(dtype, 1, d));

        // Encoder.
        SDVariable encShape = sd.shape(encMask);
        SDVariable x = drop(embed(encX0, encShape, encPos), "enc_emb");
        SDVariable keyMask = sd.reshape(encMask.sub(1.0).mul(1e9), sd.concat(0, sd.slice(encShape, new int[] {0}, new int[] {1}),
                sd.constant(Nd4j.createFromArray(new long[] {1, 1})), sd.slice(encShape, new int[] {1}, new int[] {1})));
        for (int l = 0; l < cfg.encoderLayers(); l++) {
            String k = "enc.layers." + l + ".";
            x = x.add(drop(selfAttention(layerNorm(x, k + "self_attn_layer_norm"), k + "self_attn.", encShape, keyMask,
                    cfg.encoderHeads()), "enc_" + l + "_attn"));
            x = x.add(drop(ffn(layerNorm(x, k + "final_layer_norm"), k), "enc_" + l + "_ffn"));
        }
        x = layerNorm(x, "enc.layer_norm");
        SDVariable m3 = sd.expandDims(encMask, 2);
        SDVariable summed = sd.sum(sd.reshape(x, sd.concat(0, encShape, sd.constant(Nd4j.createFromArray(new long[] {d}))))
                .mul(m3), 1);
        SDVariable emb = summed.div(sd.sum(encMask, true, 1).add(1e-7)).rename(EMBEDDINGS);
        SDVariable mixed = sd.mmul(mix, emb);
        // e + noise * rms(e): the decoder learns that nearby vectors mean nearby sentences (zero noise: e)
        SDVariable rms = sd.math.sqrt(sd.mean(mixed.mul(mixed), true, 1).add(1e-12));
        SDVariable e = mixed.add(vectorNoise.mul(rms));

        // Decoder.
        SDVariable decShape = sd.concat(0, sd.slice(sd.shape(mix), new int[] {0}, new int[] {1}),
                sd.slice(sd.shape(causal), new int[] {0}, new int[] {1}));
        SDVariable y = drop(embed(decX0, decShape, decPos), "dec_emb");
        SDVariable nl = sd.concat(0, decShape, sd.constant(Nd4j.createFromArray(new long[] {d})));
        for (int l = 0; l < cfg.decoderLayers(); l++) {
            String k = "dec.layers." + l + ".";
            y = y.add(drop(selfAttention(layerNorm(y, k + "self_attn_layer_norm"), k + "self_attn.", decShape, causal,
                    cfg.decoderHeads()), "dec_" + l + "_attn"));
            SDVariable cross = sd.reshape(lin(lin(e, k + "encoder_attn.v_proj"), k + "encoder_attn.out_proj"), -1, 1, d);
            if (dropout) { // the one vector's branch broadcast over the positions, each dropped on its own
                cross = cross.mul(sd.reshape(sd.placeHolder(DROP + "dec_" + l + "_cross", dtype, -1, d), nl));
            }
            y = sd.reshape(sd.reshape(y, nl).add(cross), -1, d);
            y = y.add(drop(ffn(layerNorm(y, k + "final_layer_norm"), k), "dec_" + l + "_ffn"));
        }
        y = layerNorm(y, "dec.layer_norm").rename(HIDDEN);
        sd.sum(y.mul(hiddenGrad)).rename(SURROGATE).markAsLoss();
        sd.setLossVariables(SURROGATE);
    }

    /** {@code x * mask} with the site's mask placeholder [rows * len, d] when built with dropout; else x. */
    private SDVariable drop(SDVariable x, String site) {
        return dropout ? x.mul(sd.placeHolder(DROP + site, dtype, -1, cfg.model())) : x;
    }

    /**
     * Token embeddings [rows*len, d] * sqrt(d) + positions. The table lookup itself happens outside the
     * graph ({@link TokenEmbeddings#gather}): SameDiff M2.1 cannot differentiate gather with respect to the
     * table, and a one-hot product would cost 2 x vocab x d FLOPs per token.
     */
    private SDVariable embed(SDVariable x0, SDVariable shape, SDVariable pos) {
        int d = cfg.model();
        SDVariable emb = x0.mul(Math.sqrt(d));
        SDVariable nl = sd.concat(0, shape, sd.constant(Nd4j.createFromArray(new long[] {d})));
        return sd.reshape(sd.reshape(emb, nl).add(pos), -1, d);
    }

    private SDVariable selfAttention(SDVariable h, String k, SDVariable shape, SDVariable mask, int heads) {
        int d = cfg.model();
        int hd = d / heads;
        SDVariable head4 = sd.concat(0, shape, sd.constant(Nd4j.createFromArray(new long[] {heads, hd})));
        SDVariable q = sd.permute(sd.reshape(lin(h, k + "q_proj").mul(1.0 / Math.sqrt(hd)), head4), 0, 2, 1, 3);
        SDVariable kk = sd.permute(sd.reshape(lin(h, k + "k_proj"), head4), 0, 2, 1, 3);
        SDVariable v = sd.permute(sd.reshape(lin(h, k + "v_proj"), head4), 0, 2, 1, 3);
        SDVariable probs = sd.nn.softmax(sd.mmul(q, kk, false, true, false).add(mask), 3);
        SDVariable o = sd.reshape(sd.permute(sd.mmul(probs, v), 0, 2, 1, 3), -1, d);
        return lin(o, k + "out_proj");
    }

    private SDVariable ffn(SDVariable h, String k) {
        return lin(sd.nn.relu(lin(h, k + "fc1"), 0), k + "fc2");
    }

    private SDVariable lin(SDVariable x, String k) {
        return sd.mmul(x, p(k + ".weight"), false, true, false).add(p(k + ".bias"));
    }

    private SDVariable layerNorm(SDVariable x, String k) {
        SDVariable mu = sd.mean(x, true, 1);
        SDVariable xc = x.sub(mu);
        SDVariable var = sd.mean(sd.math.square(xc), true, 1);
        return xc.mul(sd.math.rsqrt(var.add(LN_EPS))).mul(p(k + ".weight")).add(p(k + ".bias"));
    }

    /** @return the shape */
    public SonarConfig config() {
        return cfg;
    }

    /** @return the array type */
    public DataType dtype() {
        return dtype;
    }

    /** @return the SameDiff graph */
    public SameDiff sameDiff() {
        return sd;
    }

    /** @return encoder parameter names */
    public List<String> encoderParameters() {
        return List.copyOf(encoderParams);
    }

    /** @return decoder parameter names */
    public List<String> decoderParameters() {
        return List.copyOf(decoderParams);
    }

    /** @return live parameter arrays by name (updates change the graph) */
    public Map<String, INDArray> parameters() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (String n : encoderParams) {
            m.put(n, n.equals(ENC_TABLE) ? encTable : sd.getArrForVarName(n));
        }
        for (String n : decoderParams) {
            m.put(n, n.equals(DEC_TABLE) ? decTable : sd.getArrForVarName(n));
        }
        return m;
    }

    /** Placeholders plus the gathered token embeddings of a batch. */
    private Map<String, INDArray> feeds(AutoencoderBatch batch) {
        sd.getVariable(ENC_X0).setArray(TokenEmbeddings.gather(encTable, batch.encoderIds()));
        if (batch.decoderIds() != null) {
            sd.getVariable(DEC_X0).setArray(TokenEmbeddings.gather(decTable, batch.decoderIds()));
        }
        Map<String, INDArray> f = batch.feeds();
        if (dropout) { // sites the batch has no masks for run undropped
            undropped(f, dropoutSites(cfg, true), batch.encoderIds().length);
            if (batch.decoderIds() != null) {
                undropped(f, dropoutSites(cfg, false), batch.decoderIds().length);
            }
        }
        return f;
    }

    /** Feeds one all-ones mask [positions, d], shared, to every site of {@code sites} absent from {@code f}. */
    private void undropped(Map<String, INDArray> f, List<String> sites, int positions) {
        INDArray ones = null;
        for (String site : sites) {
            if (!f.containsKey(site)) {
                ones = ones != null ? ones : Nd4j.ones(dtype, positions, cfg.model());
                f.put(site, ones);
            }
        }
    }

    /** @return whether the graph has dropout-mask placeholders */
    public boolean hasDropout() {
        return dropout;
    }

    private INDArray hidden(Map<String, INDArray> feeds) {
        return sd.output(feeds, HIDDEN).get(HIDDEN);
    }

    /**
     * @param batch a batch
     * @return decoder logits [rows * len, vocab] (padded positions included)
     */
    public INDArray logits(AutoencoderBatch batch) {
        return head().logits(hidden(feeds(batch)));
    }

    /** The tied output projection over the decoder's token table. */
    private VocabularyHead head() {
        return new VocabularyHead(decTable);
    }

    /**
     * @param batch a batch
     * @return the loss: mean negative log-likelihood of the label tokens
     */
    public double loss(AutoencoderBatch batch) {
        return head().loss(hidden(feeds(batch)), batch.labels()).loss();
    }

    /**
     * Loss and gradients of one batch.
     *
     * @param loss mean negative log-likelihood of the label tokens
     * @param gradients by parameter name
     */
    public record LossAndGradients(double loss, Map<String, INDArray> gradients) {}

    /**
     * Loss and exact gradients. The tied output projection and the cross-entropy run in the shared
     * {@link VocabularyHead}; dLoss/dHidden is fed back into the graph through the surrogate
     * {@code sum(hidden * g)}, and the gradients of the gathered token embeddings are scattered into the
     * tables (the decoder table also gets the head's gradient).
     *
     * @param batch a batch
     * @param names parameters to differentiate
     * @return loss and gradients
     */
    public LossAndGradients lossAndGradients(AutoencoderBatch batch, List<String> names) {
        Map<String, INDArray> f = feeds(batch);
        INDArray y = hidden(f);
        VocabularyHead.Result ce = head().lossAndGradients(y, batch.labels(), names.contains(DEC_TABLE));
        f.put(HIDDEN_GRAD, ce.hiddenGradient());
        List<String> inGraph = new ArrayList<>();
        for (String n : names) {
            if (n.equals(ENC_TABLE)) {
                inGraph.add(ENC_X0);
            } else if (n.equals(DEC_TABLE)) {
                inGraph.add(DEC_X0);
            } else if (sd.hasVariable(n) && !n.equals(ENC_X0) && !n.equals(DEC_X0)) {
                inGraph.add(n);
            } else {
                throw new InvalidInputException("expected a parameter name, found " + n);
            }
        }
        Map<String, INDArray> gg = Gradients.of(sd, f, List.of(), inGraph).gradients();
        Map<String, INDArray> g = new LinkedHashMap<>();
        for (String n : names) {
            if (n.equals(ENC_TABLE)) {
                g.put(n, TokenEmbeddings.scatterAdd(gg.get(ENC_X0), batch.encoderIds(), cfg.vocab(), null));
            } else if (n.equals(DEC_TABLE)) {
                g.put(n, TokenEmbeddings.scatterAdd(gg.get(DEC_X0), batch.decoderIds(), cfg.vocab(), ce.tableGradient()));
            } else {
                g.put(n, gg.get(n));
            }
        }
        return new LossAndGradients(ce.loss(), g);
    }

    /**
     * @param encoderIds [n][len] encoder ids padded with {@link SonarConfig#PAD}
     * @return sentence embeddings [n][d]
     */
    public float[][] embed(long[][] encoderIds) {
        AutoencoderBatch b = AutoencoderBatch.encodeOnly(encoderIds, cfg, dtype);
        return sd.output(feeds(b), EMBEDDINGS).get(EMBEDDINGS).castTo(DataType.FLOAT).toFloatMatrix();
    }
}
