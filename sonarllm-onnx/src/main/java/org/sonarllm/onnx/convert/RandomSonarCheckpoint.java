package org.sonarllm.onnx.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.sonarllm.InvalidInputException;
import org.sonarllm.SonarLlmException;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.weights.SafeTensorsWriter;
import org.sonarllm.onnx.weights.TensorSource;
import org.sonarllm.onnx.weights.TensorSources;

/**
 * Writes random-weight SONAR encoder and decoder checkpoints in the Hugging Face M2M100 layouts
 * ({@code encoder/} with M2M100Encoder keys, {@code decoder/} with M2M100ForConditionalGeneration keys,
 * the output projection {@code lm_head.weight} stored beside the equal {@code
 * model.decoder.embed_tokens.weight}, cross-attention q/k and LayerNorm included; each folder with
 * {@code config.json}) at any {@link SonarConfig}, as {@code model.safetensors} or sharded ({@code
 * model.safetensors.index.json} plus shards): for benchmarks, tests that must not depend on one
 * fixture's dimensions, and the real-scale runs ({@code scripts/realscale/}). Values are generated
 * piece by piece while the file is written (a tensor's values depend only on the seed and its name),
 * so memory stays small at any size.
 *
 * <pre>{@code
 * RandomSonarCheckpoint.write(Path.of("rand"), new SonarConfig(512, 32000, 6, 6, 8, 8, 2048, 2048, 256), 1L);
 * // command line: java -cp ... org.sonarllm.onnx.convert.RandomSonarCheckpoint OUT real 1 --decoder-shards 2
 * }</pre>
 */
public final class RandomSonarCheckpoint {
    /** SONAR's real shape: d 1024, vocabulary 256206, 24 + 24 layers, 16 heads, FFN 8192, 1024 positions. */
    public static final SonarConfig REAL = new SonarConfig(1024, 256206, 24, 24, 16, 16, 8192, 8192, 1024);

    private RandomSonarCheckpoint() {}

    /**
     * Writes {@code encoder/} and {@code decoder/}, each as one {@code model.safetensors}.
     *
     * @param dir output directory (encoder/ and decoder/ are created in it)
     * @param s sizes
     * @param seed random seed
     */
    public static void write(Path dir, SonarConfig s, long seed) {
        write(dir, s, seed, 1, 1);
    }

    /**
     * @param dir output directory (encoder/ and decoder/ are created in it)
     * @param s sizes
     * @param seed random seed
     * @param encoderShards 1 for {@code model.safetensors}, more for an index and that many shards
     * @param decoderShards the same for the decoder
     */
    public static void write(Path dir, SonarConfig s, long seed, int encoderShards, int decoderShards) {
        if (encoderShards < 1 || decoderShards < 1) {
            throw new InvalidInputException("expected at least one shard, found " + encoderShards + " and " + decoderShards);
        }
        try {
            Path enc = Files.createDirectories(dir.resolve("encoder"));
            Path dec = Files.createDirectories(dir.resolve("decoder"));
            ObjectMapper om = new ObjectMapper();
            Files.write(enc.resolve("config.json"), om.writerWithDefaultPrettyPrinter().writeValueAsBytes(
                    s.toHf("M2M100Encoder")));
            Files.write(dec.resolve("config.json"), om.writerWithDefaultPrettyPrinter().writeValueAsBytes(
                    s.toHf("M2M100ForConditionalGeneration")));
            Map<String, Tensor> e = new LinkedHashMap<>();
            e.put("embed_tokens.weight", new Tensor(new long[] {s.vocab(), s.model()}, 0.1, 0, "embed_tokens"));
            for (int l = 0; l < s.encoderLayers(); l++) {
                String p = "layers." + l + ".";
                attention(e, p + "self_attn.", s.model());
                common(e, p, s.model(), s.encoderFfn());
            }
            norm(e, "layer_norm.", s.model());
            write(enc, e, seed, encoderShards);

            Map<String, Tensor> d = new LinkedHashMap<>();
            Tensor emb = new Tensor(new long[] {s.vocab(), s.model()}, 0.1, 0, "decoder_embedding");
            d.put("model.decoder.embed_tokens.weight", emb);
            d.put("lm_head.weight", emb);
            for (int l = 0; l < s.decoderLayers(); l++) {
                String p = "model.decoder.layers." + l + ".";
                attention(d, p + "self_attn.", s.model());
                attention(d, p + "encoder_attn.", s.model());
                norm(d, p + "encoder_attn_layer_norm.", s.model());
                common(d, p, s.model(), s.decoderFfn());
            }
            norm(d, "model.decoder.layer_norm.", s.model());
            write(dec, d, seed, decoderShards);
        } catch (IOException e) {
            throw new SonarLlmException("cannot write " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * A tensor to generate: N(mean, std^2) values from a stream seeded by the run's seed and {@code stream}.
     *
     * @param shape dims @param std standard deviation @param mean mean @param stream the stream's name
     */
    private record Tensor(long[] shape, double std, double mean, String stream) {}

    private static void attention(Map<String, Tensor> m, String p, int d) {
        for (String n : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
            m.put(p + n + ".weight", new Tensor(new long[] {d, d}, 1 / Math.sqrt(d), 0, p + n + ".weight"));
            m.put(p + n + ".bias", new Tensor(new long[] {d}, 0.02, 0, p + n + ".bias"));
        }
    }

    private static void common(Map<String, Tensor> m, String p, int d, int ffn) {
        norm(m, p + "self_attn_layer_norm.", d);
        norm(m, p + "final_layer_norm.", d);
        m.put(p + "fc1.weight", new Tensor(new long[] {ffn, d}, 1 / Math.sqrt(d), 0, p + "fc1.weight"));
        m.put(p + "fc1.bias", new Tensor(new long[] {ffn}, 0.02, 0, p + "fc1.bias"));
        m.put(p + "fc2.weight", new Tensor(new long[] {d, ffn}, 1 / Math.sqrt(ffn), 0, p + "fc2.weight"));
        m.put(p + "fc2.bias", new Tensor(new long[] {d}, 0.02, 0, p + "fc2.bias"));
    }

    private static void norm(Map<String, Tensor> m, String p, int d) {
        m.put(p + "weight", new Tensor(new long[] {d}, 0.1, 1, p + "weight"));
        m.put(p + "bias", new Tensor(new long[] {d}, 0.1, 0, p + "bias"));
    }

    private static void write(Path dir, Map<String, Tensor> tensors, long seed, int shards) throws IOException {
        if (shards == 1) {
            writer(tensors, seed).write(dir.resolve(TensorSources.SAFETENSORS));
            return;
        }
        long total = 0;
        for (Tensor t : tensors.values()) {
            total += numel(t.shape()) * 4;
        }
        List<Map<String, Tensor>> parts = new ArrayList<>();
        long perShard = (total + shards - 1) / shards;
        long filled = Long.MAX_VALUE;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (filled >= perShard && parts.size() < shards) {
                parts.add(new LinkedHashMap<>());
                filled = 0;
            }
            parts.get(parts.size() - 1).put(e.getKey(), e.getValue());
            filled += numel(e.getValue().shape()) * 4;
        }
        ObjectNode index = new ObjectMapper().createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode map = index.putObject("weight_map");
        for (int i = 0; i < parts.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, parts.size());
            writer(parts.get(i), seed).write(dir.resolve(name));
            for (String k : parts.get(i).keySet()) {
                map.put(k, name);
            }
        }
        Files.write(dir.resolve(TensorSources.SAFETENSORS_INDEX),
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(index));
    }

    private static SafeTensorsWriter writer(Map<String, Tensor> tensors, long seed) {
        SafeTensorsWriter w = new SafeTensorsWriter();
        tensors.forEach((name, t) -> w.add(name, t.shape(), sink -> gauss(t, seed, sink)));
        return w;
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Streams N(mean, std^2) values (Box-Muller from two uniforms) in pieces. */
    private static void gauss(Tensor t, long seed, TensorSource.Float32Sink sink) throws IOException {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + t.stream().hashCode());
        long n = numel(t.shape());
        ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        FloatBuffer f = chunk.asFloatBuffer();
        for (long done = 0; done < n; ) {
            int k = (int) Math.min(f.capacity(), n - done);
            for (int i = 0; i < k; i++) {
                double u = 1 - r.nextDouble();
                double v = r.nextDouble();
                f.put(i, (float) (t.mean() + t.std() * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)));
            }
            chunk.clear().limit(k * 4);
            sink.accept(chunk);
            done += k;
        }
    }

    /**
     * Command line: {@code OUT_DIR SHAPE [SEED] [--encoder-shards N] [--decoder-shards N]} where SHAPE is
     * {@code real} or {@code d,heads,ffn,encoderLayers,decoderLayers,vocab,maxPositions}.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        if (args.length < 2) {
            throw new InvalidInputException("usage: RandomSonarCheckpoint OUT_DIR real|d,heads,ffn,encL,decL,vocab,maxPos "
                    + "[SEED] [--encoder-shards N] [--decoder-shards N]");
        }
        SonarConfig s;
        if (args[1].equals("real")) {
            s = REAL;
        } else {
            String[] v = args[1].split(",");
            int[] x = new int[v.length];
            for (int i = 0; i < v.length; i++) {
                x[i] = Integer.parseInt(v[i].trim());
            }
            if (x.length != 7) {
                throw new InvalidInputException("expected 7 sizes d,heads,ffn,encL,decL,vocab,maxPos, found " + args[1]);
            }
            s = new SonarConfig(x[0], x[5], x[3], x[4], x[1], x[1], x[2], x[2], x[6]);
        }
        long seed = 1;
        int encShards = 1;
        int decShards = 1;
        for (int i = 2; i < args.length; i++) {
            switch (args[i]) {
                case "--encoder-shards" -> encShards = Integer.parseInt(args[++i]);
                case "--decoder-shards" -> decShards = Integer.parseInt(args[++i]);
                default -> seed = Long.parseLong(args[i]);
            }
        }
        write(Path.of(args[0]), s, seed, encShards, decShards);
    }
}
