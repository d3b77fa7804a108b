package org.sonarllm.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.SonarLlmException;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.bundle.BundleWriter;
import org.sonarllm.onnx.convert.ConceptLmConverter;
import org.sonarllm.training.model.ConceptLMConfig;
import org.sonarllm.training.model.ConceptLMGraph;

/**
 * Writes a trained concept LM: as a SONAR-LLM checkpoint directory (flat Llama {@code config.json}
 * with {@code sonar_dim}, {@code model.safetensors} with the SONAR-LLM key names), and as
 * {@code concept-lm.onnx} in a bundle, built by the same {@link ConceptLmConverter} that converts
 * released checkpoints, so {@code Generator} runs it directly.
 *
 * <pre>{@code
 * ConceptLMExport.toBundle(trainer.config(), trainer.parameters(), Path.of("bundle"), Path.of("my-bundle"));
 * }</pre>
 */
public final class ConceptLMExport {
    /** Bundle component (and folder) holding the trained weights as a SONAR-LLM checkpoint. */
    public static final String CHECKPOINT_COMPONENT = "concept_lm_checkpoint";

    private ConceptLMExport() {}

    /**
     * @param cfg model config
     * @param params parameters by checkpoint name
     * @param dir output directory (created; files replaced atomically)
     */
    public static void writeCheckpoint(ConceptLMConfig cfg, Map<String, INDArray> params, Path dir) {
        try {
            Files.createDirectories(dir);
            ObjectMapper om = new ObjectMapper();
            ObjectNode c = om.createObjectNode();
            c.putArray("architectures").add("LlamaForCausalLM");
            c.put("model_type", "llama");
            c.put("sonar_dim", cfg.sonarDim());
            c.put("hidden_size", cfg.hidden());
            c.put("num_hidden_layers", cfg.layers());
            c.put("num_attention_heads", cfg.heads());
            c.put("num_key_value_heads", cfg.kvHeads());
            c.put("head_dim", cfg.headDim());
            c.put("intermediate_size", cfg.intermediate());
            c.put("hidden_act", "silu");
            c.put("rms_norm_eps", cfg.rmsEps());
            c.put("rope_theta", cfg.ropeTheta());
            c.put("attention_bias", false);
            c.put("mlp_bias", false);
            c.put("max_position_embeddings", 131072);
            if (cfg.ropeScaling() != null) {
                ObjectNode rs = c.putObject("rope_scaling");
                rs.put("rope_type", "llama3");
                rs.put("factor", cfg.ropeScaling().factor());
                rs.put("low_freq_factor", cfg.ropeScaling().lowFreqFactor());
                rs.put("high_freq_factor", cfg.ropeScaling().highFreqFactor());
                rs.put("original_max_position_embeddings", cfg.ropeScaling().originalMaxPositions());
            }
            c.put("torch_dtype", "float32");
            write(dir.resolve("config.json"), om.writerWithDefaultPrettyPrinter().writeValueAsBytes(c));
            writeSafeTensors(dir.resolve("model.safetensors"), cfg, params);
        } catch (IOException e) {
            throw new SonarLlmException("cannot write checkpoint to " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void writeSafeTensors(Path file, ConceptLMConfig cfg, Map<String, INDArray> params) throws IOException {
        Map<String, long[]> shapes = new TreeMap<>(ConceptLMGraph.parameterShapes(cfg));
        StringBuilder h = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        List<float[]> data = new ArrayList<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            INDArray a = params.get(e.getKey());
            if (a == null || !java.util.Arrays.equals(a.shape(), e.getValue())) {
                throw new SonarLlmException("expected parameter " + e.getKey() + " of shape "
                        + java.util.Arrays.toString(e.getValue()) + ", found " + (a == null ? "none" : java.util.Arrays.toString(a.shape())));
            }
            float[] f = a.dup('c').castTo(DataType.FLOAT).data().asFloat();
            data.add(f);
            h.append(",\"").append(e.getKey()).append("\":{\"dtype\":\"F32\",\"shape\":")
                    .append(java.util.Arrays.toString(e.getValue()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + 4L * f.length).append("]}");
            offset += 4L * f.length;
        }
        h.append('}');
        while ((h.length() + 8) % 8 != 0) {
            h.append(' ');
        }
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            out.write(header);
            for (float[] f : data) {
                ByteBuffer bb = ByteBuffer.allocate(4 * f.length).order(ByteOrder.LITTLE_ENDIAN);
                bb.asFloatBuffer().put(f);
                out.write(bb.array());
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Writes {@code concept-lm.onnx} next to a copy of {@code inputBundle} (or into it when both
     * paths are equal) and registers it as the bundle's concept LM; the weights also go to
     * {@value #CHECKPOINT_COMPONENT}/ (registered under that name) for fine-tuning and eval-loss.
     *
     * @param cfg model config
     * @param params parameters
     * @param inputBundle the bundle trained with (encoder, decoder, tokenizer)
     * @param outputBundle where the bundle with the trained concept LM goes
     * @return the ONNX file written
     */
    public static Path toBundle(ConceptLMConfig cfg, Map<String, INDArray> params, Path inputBundle, Path outputBundle) {
        try {
            if (!inputBundle.toAbsolutePath().normalize().equals(outputBundle.toAbsolutePath().normalize())) {
                copyTree(inputBundle, outputBundle);
            }
            Path ckpt = Files.createTempDirectory("sonarllm-export");
            try {
                writeCheckpoint(cfg, params, ckpt);
                Path onnx = outputBundle.resolve(ConceptLmConverter.FILE_NAME);
                List<Path> files = ConceptLmConverter.convert(ckpt, onnx);
                BundleWriter.addComponent(outputBundle, BundleManifest.CONCEPT_LM, files, Map.of());
                Path ck = outputBundle.resolve(CHECKPOINT_COMPONENT);
                writeCheckpoint(cfg, params, ck);
                BundleWriter.addComponent(outputBundle, CHECKPOINT_COMPONENT,
                        List.of(ck.resolve("model.safetensors"), ck.resolve("config.json")), Map.of());
                return onnx;
            } finally {
                try (Stream<Path> s = Files.walk(ckpt)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        } catch (IOException e) {
            throw new SonarLlmException("cannot export to " + outputBundle + ": " + e.getMessage(), e);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
