package org.sonarllm.training.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.ModelFormatException;
import org.sonarllm.training.internal.SafeTensorsFile;

/**
 * Test-scope cross-check: the SONAR text decoder (M2M100 decoder conditioned on one sentence vector)
 * written by hand in SameDiff from the Hugging Face weights, in teacher-forcing form, independent of the
 * ONNX graph and its import that training uses ({@link ImportedSonarDecoder}); tests compare the two. Every decoder weight is a SameDiff <em>constant</em> from
 * the moment it is added, so no optimizer ever sees it; gradients flow only through the embedding
 * input. Weights are read from the Hugging Face safetensors of a SONAR decoder
 * ({@code model.decoder.*}, {@code lm_head.weight}).
 *
 * <pre>{@code
 * FrozenSonarDecoder dec = FrozenSonarDecoder.load(Path.of("decoder"));
 * SDVariable logits = dec.attach(sd, embeddings, DataType.FLOAT); // [n * len, vocab]
 * Map<String, INDArray> f = dec.feeds(decoderInputIds, DataType.FLOAT);
 * }</pre>
 *
 * <p>Immutable after loading; {@link #attach} is not thread-safe for a shared SameDiff.
 */
final class FrozenSonarDecoder {
    /** Decoder token-id placeholder [n, len] (INT64). */
    public static final String INPUT_IDS = "decoder_input_ids";
    /** Sinusoidal position placeholder [len, d]. */
    public static final String POSITIONS = "decoder_positions";
    /** Additive causal mask placeholder [len, len]. */
    public static final String CAUSAL_MASK = "decoder_causal_mask";
    /** Output: logits flattened to [n * len, vocab]. */
    public static final String LOGITS = "decoder_logits";

    private static final double LN_EPS = 1e-5;

    private final int dModel;
    private final int layers;
    private final int heads;
    private final int vocab;
    private final int padId;
    private final boolean scaleEmbedding;
    private final Map<String, SafeTensorsFile.Tensor> weights;

    private FrozenSonarDecoder(JsonNode cfg, Map<String, SafeTensorsFile.Tensor> weights) {
        this.dModel = cfg.path("d_model").asInt(-1);
        this.layers = cfg.path("decoder_layers").asInt(-1);
        this.heads = cfg.path("decoder_attention_heads").asInt(-1);
        this.vocab = cfg.path("vocab_size").asInt(-1);
        this.padId = cfg.path("pad_token_id").asInt(1);
        this.scaleEmbedding = cfg.path("scale_embedding").asBoolean(true);
        if (dModel <= 0 || layers <= 0 || heads <= 0 || vocab <= 0 || dModel % heads != 0) {
            throw new ModelFormatException("expected positive d_model, decoder_layers, decoder_attention_heads, "
                    + "vocab_size in the decoder config, found " + dModel + ", " + layers + ", " + heads + ", " + vocab);
        }
        String act = cfg.path("activation_function").asText("relu");
        if (!act.equals("relu")) {
            throw new ModelFormatException("expected activation_function relu, found " + act);
        }
        this.weights = weights;
        tensor("lm_head.weight", vocab, dModel);
    }

    /**
     * @param dir a folder with config.json and model.safetensors of the SONAR decoder
     * @return the decoder
     */
    public static FrozenSonarDecoder load(Path dir) {
        JsonNode cfg;
        try {
            cfg = new ObjectMapper().readTree(Files.readAllBytes(dir.resolve("config.json")));
        } catch (IOException e) {
            throw new ModelFormatException("cannot read decoder config in " + dir + ": " + e.getMessage(), e);
        }
        return new FrozenSonarDecoder(cfg, SafeTensorsFile.read(dir.resolve("model.safetensors")));
    }

    /** @return the embedding size the decoder expects */
    public int dimension() {
        return dModel;
    }

    /** @return vocabulary size (logit width) */
    public int vocabSize() {
        return vocab;
    }

    /** @return the padding id (ignored as a label) */
    public int padId() {
        return padId;
    }

    private SafeTensorsFile.Tensor tensor(String name, long... shape) {
        SafeTensorsFile.Tensor t = weights.get(name);
        if (t == null && name.equals("model.decoder.embed_tokens.weight")) {
            t = weights.get("model.shared.weight");
        }
        if (t == null) {
            throw new ModelFormatException("expected decoder tensor " + name + ", found none");
        }
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new ModelFormatException("expected decoder tensor " + name + " of shape "
                    + java.util.Arrays.toString(shape) + ", found " + java.util.Arrays.toString(t.shape()));
        }
        return t;
    }

    private SDVariable c(SameDiff sd, String name, DataType dt, long... shape) {
        String key = "frozen." + name;
        if (sd.hasVariable(key)) {
            return sd.getVariable(key);
        }
        return sd.constant(key, Nd4j.createFromArray(tensor(name, shape).data()).reshape(shape).castTo(dt));
    }

    /**
     * Adds the teacher-forcing decoder and returns its logits [n * len, vocab].
     *
     * @param sd the graph
     * @param embedding [n, d] sentence vectors (e.g. the concept LM's predictions)
     * @param dt FLOAT or DOUBLE
     * @return the logits variable named {@value #LOGITS}
     */
    public SDVariable attach(SameDiff sd, SDVariable embedding, DataType dt) {
        int d = dModel;
        int hd = d / heads;
        SDVariable ids = sd.placeHolder(INPUT_IDS, DataType.INT64, -1, -1);
        SDVariable pos = sd.placeHolder(POSITIONS, dt, -1, d);
        SDVariable mask = sd.placeHolder(CAUSAL_MASK, dt, -1, -1);
        SDVariable idShape = sd.shape(ids);
        SDVariable nl = sd.concat(0, idShape, sd.constant(Nd4j.createFromArray(new long[] {d})));
        SDVariable emb = sd.gather(c(sd, "model.decoder.embed_tokens.weight", dt, vocab, d), sd.reshape(ids, -1), 0);
        if (scaleEmbedding) {
            emb = emb.mul(Math.sqrt(d));
        }
        SDVariable x = sd.reshape(sd.reshape(emb, nl).add(pos), -1, d);
        SDVariable head4 = sd.concat(0, idShape, sd.constant(Nd4j.createFromArray(new long[] {heads, hd})));
        for (int l = 0; l < layers; l++) {
            String p = "model.decoder.layers." + l + ".";
            SDVariable h = layerNorm(sd, x, p + "self_attn_layer_norm", dt);
            SDVariable q = lin(sd, h, p + "self_attn.q_proj", dt, d, d).mul(1.0 / Math.sqrt(hd));
            SDVariable k = lin(sd, h, p + "self_attn.k_proj", dt, d, d);
            SDVariable v = lin(sd, h, p + "self_attn.v_proj", dt, d, d);
            SDVariable q4 = sd.permute(sd.reshape(q, head4), 0, 2, 1, 3);
            SDVariable k4 = sd.permute(sd.reshape(k, head4), 0, 2, 1, 3);
            SDVariable v4 = sd.permute(sd.reshape(v, head4), 0, 2, 1, 3);
            SDVariable probs = sd.nn.softmax(sd.mmul(q4, k4, false, true, false).add(mask), 3);
            SDVariable o = sd.reshape(sd.permute(sd.mmul(probs, v4), 0, 2, 1, 3), -1, d);
            x = x.add(lin(sd, o, p + "self_attn.out_proj", dt, d, d));
            // Cross-attention over a single key: softmax is 1, so it is out_proj(v_proj(e)) at every position.
            SDVariable cross = lin(sd, lin(sd, embedding, p + "encoder_attn.v_proj", dt, d, d), p + "encoder_attn.out_proj", dt, d, d);
            x = sd.reshape(sd.reshape(x, nl).add(sd.reshape(cross, -1, 1, d)), -1, d);
            SafeTensorsFile.Tensor fc1 = weights.get(p + "fc1.weight");
            if (fc1 == null || fc1.shape().length != 2) {
                throw new ModelFormatException("expected a 2-d decoder tensor " + p + "fc1.weight, found "
                        + (fc1 == null ? "none" : java.util.Arrays.toString(fc1.shape())));
            }
            int ffn = (int) fc1.shape()[0];
            SDVariable f = layerNorm(sd, x, p + "final_layer_norm", dt);
            f = lin(sd, sd.nn.relu(lin(sd, f, p + "fc1", dt, ffn, d), 0), p + "fc2", dt, d, ffn);
            x = x.add(f);
        }
        x = layerNorm(sd, x, "model.decoder.layer_norm", dt);
        return sd.mmul(LOGITS, x, c(sd, "lm_head.weight", dt, vocab, d), false, true, false);
    }

    private SDVariable lin(SameDiff sd, SDVariable x, String p, DataType dt, long out, long in) {
        return sd.mmul(x, c(sd, p + ".weight", dt, out, in), false, true, false).add(c(sd, p + ".bias", dt, out));
    }

    private SDVariable layerNorm(SameDiff sd, SDVariable x, String p, DataType dt) {
        SDVariable mu = sd.mean(x, true, 1);
        SDVariable xc = x.sub(mu);
        SDVariable var = sd.mean(sd.math.square(xc), true, 1);
        return xc.mul(sd.math.rsqrt(var.add(LN_EPS))).mul(c(sd, p + ".weight", dt, dModel)).add(c(sd, p + ".bias", dt, dModel));
    }

    /**
     * @param decoderInputIds [n][len] ids (rows padded with the pad id to one length)
     * @param dt FLOAT or DOUBLE
     * @return the decoder placeholders for one run
     */
    public Map<String, INDArray> feeds(long[][] decoderInputIds, DataType dt) {
        int len = decoderInputIds[0].length;
        double[][] pos = new double[len][dModel];
        int half = dModel / 2;
        for (int t = 0; t < len; t++) {
            int p = t + padId + 1;
            for (int j = 0; j < half; j++) {
                double freq = Math.exp(-j * Math.log(10000.0) / (half - 1));
                pos[t][j] = Math.sin(p * freq);
                pos[t][j + half] = Math.cos(p * freq);
            }
        }
        double[][] mask = new double[len][len];
        for (int r = 0; r < len; r++) {
            for (int s = r + 1; s < len; s++) {
                mask[r][s] = -1e9;
            }
        }
        Map<String, INDArray> f = new LinkedHashMap<>();
        f.put(INPUT_IDS, Nd4j.createFromArray(decoderInputIds));
        f.put(POSITIONS, Nd4j.createFromArray(pos).castTo(dt));
        f.put(CAUSAL_MASK, Nd4j.createFromArray(mask).castTo(dt));
        return f;
    }
}
