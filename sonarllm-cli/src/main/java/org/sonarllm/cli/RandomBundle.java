package org.sonarllm.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.sonarllm.InvalidInputException;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.onnx.convert.ConceptLmConverter;
import org.sonarllm.onnx.convert.RandomSonarCheckpoint;
import org.sonarllm.onnx.convert.SonarConverter;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.onnx.weights.SafeTensorsWriter;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * A random-weight model for benchmarks: the Hugging Face checkpoints ({@code checkpoint/encoder},
 * {@code checkpoint/decoder} in the M2M100 layout, {@code checkpoint/concept-lm} in SONAR-LLM key names)
 * and the bundle converted from them ({@code bundle/}), both under one work directory, so that another
 * implementation (scripts/bench/torch_infer.py) can run the very weights the bundle holds. Existing
 * directories are reused.
 *
 * <pre>{@code
 * Path bundle = RandomBundle.ensure(Path.of("/tmp/medium"), RandomBundle.Shape.parse("medium"), Path.of("tokenizer"));
 * }</pre>
 */
final class RandomBundle {
    private RandomBundle() {}

    /**
     * Sizes of the SONAR side and of the concept LM.
     *
     * @param sonar encoder/decoder sizes
     * @param lmHidden concept LM hidden size @param lmLayers layers @param lmHeads heads @param lmKvHeads key/value
     *     heads @param lmHeadDim head size @param lmFfn SwiGLU size
     */
    record Shape(SonarConfig sonar, int lmHidden, int lmLayers, int lmHeads, int lmKvHeads, int lmHeadDim,
            int lmFfn) {
        /**
         * @param s {@code medium} (d 512, 8 heads, FFN 2048, 6+6 layers, vocab 32000; concept LM 768 x 8 layers),
         *     {@code real} (SONAR's d 1024, 16 heads, FFN 8192, 24+24 layers, vocab 256206; the 600M concept LM:
         *     hidden 1280, 16 layers, 26 x 64 heads, SwiGLU 5120), {@code real-sonar} (the same without a concept LM) or {@code d,heads,ffn,layers,vocab,lmHidden,lmLayers,lmHeads,lmFfn}
         * @return the shape
         */
        static Shape parse(String s) {
            switch (s.toLowerCase(Locale.ROOT)) {
                case "medium":
                    return new Shape(new SonarConfig(512, 32000, 6, 6, 8, 8, 2048, 2048, 1024), 768, 8, 12, 12, 64,
                            2048);
                case "real-sonar":
                    return new Shape(RandomSonarCheckpoint.REAL, 0, 0, 0, 0, 0, 0);
                case "real":
                    return new Shape(RandomSonarCheckpoint.REAL, 1280, 16, 26,
                            26, 64, 5120);
                default:
                    String[] p = s.split(",");
                    if (p.length != 9) {
                        throw new InvalidInputException("expected --random medium, real or d,heads,ffn,layers,vocab,"
                                + "lmHidden,lmLayers,lmHeads,lmFfn, found " + s);
                    }
                    int[] v = new int[9];
                    for (int i = 0; i < 9; i++) {
                        try {
                            v[i] = Integer.parseInt(p[i].trim());
                        } catch (NumberFormatException e) {
                            throw new InvalidInputException("expected an integer in --random, found " + p[i]);
                        }
                        if (v[i] < 1) {
                            throw new InvalidInputException("expected positive sizes in --random, found " + s);
                        }
                    }
                    if (v[0] % v[1] != 0 || v[5] % v[7] != 0) {
                        throw new InvalidInputException("expected d divisible by heads and lmHidden by lmHeads, found " + s);
                    }
                    return new Shape(new SonarConfig(v[0], v[4], v[3], v[3], v[1], v[1], v[2], v[2], 1024), v[5], v[6],
                            v[7], v[7], v[5] / v[7], v[8]);
            }
        }
    }

    /**
     * Creates (when absent) the checkpoints and the bundle under {@code work}.
     *
     * @param work work directory @param shape sizes @param tokenizer tokenizer directory of the bundle
     * @return the bundle directory
     */
    static Path ensure(Path work, Shape shape, Path tokenizer) throws IOException {
        Path bundle = work.resolve("bundle");
        if (Files.exists(bundle.resolve("manifest.json"))) {
            return bundle;
        }
        if (tokenizer == null || !Files.isDirectory(tokenizer)) {
            throw new UsageException("a random bundle needs --tokenizer DIR, found " + tokenizer);
        }
        Path ckpt = work.resolve("checkpoint");
        RandomSonarCheckpoint.write(ckpt, shape.sonar(), 1L);
        int pieces;
        try (SonarTokenizer tok = SonarTokenizer.load(tokenizer)) {
            pieces = tok.pieceCount();
        }
        untieHead(ckpt.resolve("decoder/model.safetensors"), shape.sonar(), pieces, 3L);
        Map<String, SonarConverter.ComponentWriter> extras = new java.util.HashMap<>();
        if (shape.lmLayers() > 0) {
            Path lm = writeConceptLm(ckpt.resolve("concept-lm"), shape, 2L);
            extras.put(BundleManifest.CONCEPT_LM, ConceptLmConverter.componentWriter(lm, 0));
        }
        SonarConverter.convert(ckpt.resolve("encoder"), ckpt.resolve("decoder"), tokenizer, bundle, extras,
                OnnxConceptEncoder::open);
        return bundle;
    }

    /**
     * Replaces the decoder's tied output projection by an independent random one whose rows for ids outside
     * the tokenizer's pieces are scaled by 0.1. With the tied head, a random decoder repeats its last input token
     * forever (the scaled input embedding dominates the final state), here the language token, which decodes to
     * blank text and ends the generation loop at once; this head gives varied pieces, so that decoded sentences
     * have text and the loop runs its sentences.
     */
    private static void untieHead(Path file, SonarConfig s, int pieces, long seed) {
        Path tmp = file.resolveSibling("model.untied.safetensors");
        try (SafeTensors in = SafeTensors.open(file)) {
            SafeTensorsWriter w = new SafeTensorsWriter();
            for (String name : in.names()) {
                if (name.equals("lm_head.weight")) {
                    w.add(name, in.shape(name), () -> {
                        float[] h = gauss(new SplittableRandom(seed), s.vocab() * s.model(), 0.1);
                        for (int row = 0; row < s.vocab(); row++) {
                            if (row < 4 || row > pieces) {
                                for (int j = 0; j < s.model(); j++) {
                                    h[row * s.model() + j] *= 0.1f;
                                }
                            }
                        }
                        return h;
                    });
                } else {
                    w.add(name, in.shape(name), () -> in.floats(name));
                }
            }
            w.write(tmp);
        }
        try {
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Path writeConceptLm(Path dir, Shape s, long seed) throws IOException {
        Files.createDirectories(dir);
        int d = s.sonar().model();
        int h = s.lmHidden();
        int q = s.lmHeads() * s.lmHeadDim();
        int kv = s.lmKvHeads() * s.lmHeadDim();
        SplittableRandom r = new SplittableRandom(seed);
        SafeTensorsWriter w = new SafeTensorsWriter();
        w.add("forward_proj.linear.weight", gauss(r, h * d, 1 / Math.sqrt(d)), h, d);
        w.add("forward_proj.linear.bias", gauss(r, h, 0.02), h);
        for (int l = 0; l < s.lmLayers(); l++) {
            String p = "llama_model.model.layers." + l + ".";
            w.add(p + "input_layernorm.weight", ones(h), h);
            w.add(p + "self_attn.q_proj.weight", gauss(r, q * h, 1 / Math.sqrt(h)), q, h);
            w.add(p + "self_attn.k_proj.weight", gauss(r, kv * h, 1 / Math.sqrt(h)), kv, h);
            w.add(p + "self_attn.v_proj.weight", gauss(r, kv * h, 1 / Math.sqrt(h)), kv, h);
            w.add(p + "self_attn.o_proj.weight", gauss(r, h * q, 1 / Math.sqrt(q)), h, q);
            w.add(p + "post_attention_layernorm.weight", ones(h), h);
            w.add(p + "mlp.gate_proj.weight", gauss(r, s.lmFfn() * h, 1 / Math.sqrt(h)), s.lmFfn(), h);
            w.add(p + "mlp.up_proj.weight", gauss(r, s.lmFfn() * h, 1 / Math.sqrt(h)), s.lmFfn(), h);
            w.add(p + "mlp.down_proj.weight", gauss(r, h * s.lmFfn(), 1 / Math.sqrt(s.lmFfn())), h, s.lmFfn());
        }
        w.add("llama_model.model.norm.weight", ones(h), h);
        w.add("reverse_proj.linear.weight", gauss(r, d * h, 1 / Math.sqrt(h)), d, h);
        w.add("reverse_proj.linear.bias", gauss(r, d, 0.02), d);
        w.write(dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), String.format(Locale.ROOT, "{\n \"sonar_dim\": %d,\n"
                + " \"hidden_size\": %d,\n \"num_hidden_layers\": %d,\n \"num_attention_heads\": %d,\n"
                + " \"num_key_value_heads\": %d,\n \"head_dim\": %d,\n \"intermediate_size\": %d,\n"
                + " \"hidden_act\": \"silu\",\n \"rms_norm_eps\": 1e-06,\n \"rope_theta\": 500000.0,\n"
                + " \"rope_scaling\": {\"factor\": 32.0, \"high_freq_factor\": 4.0, \"low_freq_factor\": 1.0,"
                + " \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"},\n"
                + " \"max_position_embeddings\": 131072\n}\n", d, h, s.lmLayers(), s.lmHeads(), s.lmKvHeads(),
                s.lmHeadDim(), s.lmFfn()));
        return dir;
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    private static float[] gauss(SplittableRandom r, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            double u = 1 - r.nextDouble();
            double v = r.nextDouble();
            a[i] = (float) (std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
        }
        return a;
    }
}
