package org.sonarllm.onnx.convert;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.sonarllm.onnx.weights.SafeTensorsWriter;

/**
 * Writes random-weight SONAR encoder and decoder checkpoints in the Hugging Face M2M100 layout
 * ({@code encoder/} and {@code decoder/}, each with config.json and model.safetensors) at any size:
 * for benchmarks and for tests that must not depend on one fixture's dimensions.
 *
 * <pre>{@code
 * RandomSonarCheckpoint.write(Path.of("rand"), new RandomSonarCheckpoint.Spec(512, 8, 2048, 6, 6, 32000, 256), 1L);
 * }</pre>
 */
public final class RandomSonarCheckpoint {
    private RandomSonarCheckpoint() {}

    /**
     * Sizes.
     *
     * @param d d_model @param heads attention heads @param ffn FFN size @param encoderLayers encoder layers
     * @param decoderLayers decoder layers @param vocab vocabulary rows @param maxPositions positions
     */
    public record Spec(int d, int heads, int ffn, int encoderLayers, int decoderLayers, int vocab, int maxPositions) {}

    /**
     * @param dir output directory (encoder/ and decoder/ are created in it)
     * @param s sizes
     * @param seed random seed
     */
    public static void write(Path dir, Spec s, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        try {
            Path enc = Files.createDirectories(dir.resolve("encoder"));
            Path dec = Files.createDirectories(dir.resolve("decoder"));
            Files.writeString(enc.resolve("config.json"), config(s, "M2M100Encoder"));
            Files.writeString(dec.resolve("config.json"), config(s, "M2M100ForConditionalGeneration"));
            SafeTensorsWriter we = new SafeTensorsWriter();
            we.add("embed_tokens.weight", gauss(r, s.vocab * s.d, 0.1), s.vocab, s.d);
            for (int l = 0; l < s.encoderLayers; l++) {
                String p = "layers." + l + ".";
                attention(we, r, p + "self_attn.", s.d);
                common(we, r, p, s);
            }
            norm(we, r, "layer_norm.", s.d);
            we.write(enc.resolve("model.safetensors"));

            SafeTensorsWriter wd = new SafeTensorsWriter();
            float[] emb = gauss(r, s.vocab * s.d, 0.1);
            wd.add("model.decoder.embed_tokens.weight", emb, s.vocab, s.d);
            wd.add("model.shared.weight", emb, s.vocab, s.d);
            wd.add("lm_head.weight", emb, s.vocab, s.d);
            for (int l = 0; l < s.decoderLayers; l++) {
                String p = "model.decoder.layers." + l + ".";
                attention(wd, r, p + "self_attn.", s.d);
                attention(wd, r, p + "encoder_attn.", s.d);
                norm(wd, r, p + "encoder_attn_layer_norm.", s.d);
                common(wd, r, p, s);
            }
            norm(wd, r, "model.decoder.layer_norm.", s.d);
            wd.write(dec.resolve("model.safetensors"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void attention(SafeTensorsWriter w, SplittableRandom r, String p, int d) {
        for (String n : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
            w.add(p + n + ".weight", gauss(r, d * d, 1 / Math.sqrt(d)), d, d);
            w.add(p + n + ".bias", gauss(r, d, 0.02), d);
        }
    }

    private static void common(SafeTensorsWriter w, SplittableRandom r, String p, Spec s) {
        norm(w, r, p + "self_attn_layer_norm.", s.d);
        norm(w, r, p + "final_layer_norm.", s.d);
        w.add(p + "fc1.weight", gauss(r, s.ffn * s.d, 1 / Math.sqrt(s.d)), s.ffn, s.d);
        w.add(p + "fc1.bias", gauss(r, s.ffn, 0.02), s.ffn);
        w.add(p + "fc2.weight", gauss(r, s.d * s.ffn, 1 / Math.sqrt(s.ffn)), s.d, s.ffn);
        w.add(p + "fc2.bias", gauss(r, s.d, 0.02), s.d);
    }

    private static void norm(SafeTensorsWriter w, SplittableRandom r, String p, int d) {
        float[] g = gauss(r, d, 0.1);
        for (int i = 0; i < d; i++) {
            g[i] += 1;
        }
        w.add(p + "weight", g, d);
        w.add(p + "bias", gauss(r, d, 0.1), d);
    }

    private static float[] gauss(SplittableRandom r, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller from two uniforms
            double u = 1 - r.nextDouble();
            double v = r.nextDouble();
            a[i] = (float) (std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
        }
        return a;
    }

    private static String config(Spec s, String arch) {
        return "{\n \"architectures\": [\"" + arch + "\"],\n \"model_type\": \"m2m_100\",\n"
                + " \"activation_function\": \"relu\",\n \"d_model\": " + s.d + ",\n"
                + " \"encoder_layers\": " + s.encoderLayers + ",\n \"decoder_layers\": " + s.decoderLayers + ",\n"
                + " \"encoder_attention_heads\": " + s.heads + ",\n \"decoder_attention_heads\": " + s.heads + ",\n"
                + " \"encoder_ffn_dim\": " + s.ffn + ",\n \"decoder_ffn_dim\": " + s.ffn + ",\n"
                + " \"vocab_size\": " + s.vocab + ",\n \"max_position_embeddings\": " + s.maxPositions + ",\n"
                + " \"pad_token_id\": 1,\n \"bos_token_id\": 0,\n \"eos_token_id\": 2,\n"
                + " \"decoder_start_token_id\": 2,\n \"scale_embedding\": true\n}\n";
    }
}
