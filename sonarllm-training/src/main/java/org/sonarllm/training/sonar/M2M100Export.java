package org.sonarllm.training.sonar;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.weights.SafeTensorsWriter;
import org.sonarllm.training.internal.SafeTensorsFile;

/**
 * Writes autoencoder parameters as two Hugging Face M2M100 checkpoints, and reads them back to continue
 * training ({@link #read}; {@code train-space --init-from}) (the layout of the real SONAR
 * conversions and of tiny-a): {@code encoder/} with M2M100Encoder keys and {@code decoder/} with
 * M2M100ForConditionalGeneration decoder keys ({@code model.shared.weight},
 * {@code model.decoder.embed_tokens.weight} and {@code lm_head.weight} tied). The decoder's
 * cross-attention query/key projections and cross-attention LayerNorm are written too (the converter
 * expects them) although over a single key they cannot change the output.
 *
 * <pre>{@code
 * M2M100Export.write(cfg, graph.parameters(), Path.of("out/encoder"), Path.of("out/decoder"));
 * SonarConfig same = M2M100Export.readConfig(Path.of("out"));
 * Map<String, INDArray> again = M2M100Export.read(same, Path.of("out"));
 * }</pre>
 */
public final class M2M100Export {
    private M2M100Export() {}

    /**
     * @param cfg shape
     * @param params parameters named as in {@link AutoencoderGraph}
     * @param encoderDir created if missing; config.json and model.safetensors are (over)written
     * @param decoderDir likewise for the decoder
     */
    public static void write(SonarConfig cfg, Map<String, INDArray> params, Path encoderDir, Path decoderDir) {
        Map<String, INDArray> enc = new TreeMap<>();
        Map<String, INDArray> dec = new TreeMap<>();
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            String k = e.getKey();
            INDArray a = e.getValue().castTo(DataType.FLOAT);
            if (k.startsWith("enc.")) {
                enc.put(k.substring(4), a);
            } else if (k.startsWith("dec.")) {
                dec.put("model.decoder." + k.substring(4), a);
            } else {
                throw new InvalidInputException("expected parameter names starting with enc. or dec., found " + k);
            }
        }
        INDArray table = dec.get("model.decoder.embed_tokens.weight");
        if (table == null) {
            throw new InvalidInputException("expected dec.embed_tokens.weight, found none");
        }
        dec.put("model.shared.weight", table);
        dec.put("lm_head.weight", table);
        int d = cfg.model();
        for (int l = 0; l < cfg.decoderLayers(); l++) {
            String p = "model.decoder.layers." + l + ".encoder_attn";
            dec.put(p + ".q_proj.weight", Nd4j.zeros(DataType.FLOAT, d, d));
            dec.put(p + ".q_proj.bias", Nd4j.zeros(DataType.FLOAT, d));
            dec.put(p + ".k_proj.weight", Nd4j.zeros(DataType.FLOAT, d, d));
            dec.put(p + ".k_proj.bias", Nd4j.zeros(DataType.FLOAT, d));
            dec.put(p + "_layer_norm.weight", Nd4j.ones(DataType.FLOAT, d));
            dec.put(p + "_layer_norm.bias", Nd4j.zeros(DataType.FLOAT, d));
        }
        writeDir(encoderDir, cfg.toHf("M2M100Encoder"), enc);
        writeDir(decoderDir, cfg.toHf("M2M100ForConditionalGeneration"), dec);
    }

    /**
     * The shape of a space written by {@link #write} (or any M2M100 encoder/decoder pair of the same layout):
     * {@code dir/encoder/config.json}, which {@code dir/decoder/config.json} must match.
     *
     * @param dir directory holding {@code encoder/} and {@code decoder/}
     * @return the shape
     * @throws ModelFormatException if a config is missing, malformed, or the two disagree
     */
    public static SonarConfig readConfig(Path dir) {
        SonarConfig enc = config(dir.resolve("encoder").resolve("config.json"));
        SonarConfig dec = config(dir.resolve("decoder").resolve("config.json"));
        if (!enc.equals(dec)) {
            throw new ModelFormatException("expected the encoder and decoder of " + dir + " to share one shape, found "
                    + enc + " and " + dec);
        }
        return enc;
    }

    private static SonarConfig config(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException("expected " + file + " (a space written by train-space), found none");
        }
        try {
            return SonarConfig.fromHf(new ObjectMapper().readTree(file.toFile()), file.toString());
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * Reads the parameters {@link #write} wrote, named as in {@link AutoencoderGraph}, to start a run from them.
     * The tied copies ({@code model.shared.weight}, {@code lm_head.weight}) and the cross-attention query/key
     * projections and LayerNorm, which cannot change the output, are not read.
     *
     * @param cfg the shape to read, which must be the files' ({@link #readConfig})
     * @param dir directory holding {@code encoder/} and {@code decoder/}
     * @return parameters by name (float32), every one {@link AutoencoderGraph#initParameters} defines
     * @throws InvalidInputException if the files' shape is not {@code cfg}
     * @throws ModelFormatException if a file is missing or malformed, or a parameter is missing or mis-shaped
     */
    public static Map<String, INDArray> read(SonarConfig cfg, Path dir) {
        SonarConfig files = readConfig(dir);
        if (!files.equals(cfg)) {
            throw new InvalidInputException("expected a space of shape " + cfg + " in " + dir + ", found " + files);
        }
        Map<String, SafeTensorsFile.Tensor> enc = SafeTensorsFile.read(dir.resolve("encoder").resolve("model.safetensors"));
        Map<String, SafeTensorsFile.Tensor> dec = SafeTensorsFile.read(dir.resolve("decoder").resolve("model.safetensors"));
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : AutoencoderGraph.initParameters(cfg, 0).entrySet()) {
            String name = e.getKey();
            boolean encoder = name.startsWith("enc.");
            String key = encoder ? name.substring(4) : "model.decoder." + name.substring(4);
            SafeTensorsFile.Tensor t = (encoder ? enc : dec).get(key);
            Path file = dir.resolve(encoder ? "encoder" : "decoder").resolve("model.safetensors");
            if (t == null || !Arrays.equals(t.shape(), e.getValue().shape())) {
                throw new ModelFormatException(file + ": expected tensor " + key + " of shape "
                        + Arrays.toString(e.getValue().shape()) + ", found "
                        + (t == null ? "none" : Arrays.toString(t.shape())));
            }
            out.put(name, Nd4j.createFromArray(t.data()).reshape(t.shape()));
        }
        return out;
    }

    private static void writeDir(Path dir, Map<String, Object> config, Map<String, INDArray> tensors) {
        try {
            Files.createDirectories(dir);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("config.json").toFile(), config);
        } catch (IOException e) {
            throw new ModelFormatException("cannot write checkpoint to " + dir + ": " + e.getMessage(), e);
        }
        SafeTensorsWriter w = new SafeTensorsWriter();
        tensors.forEach((name, a) -> w.add(name, a.shape(), () -> a.castTo(DataType.FLOAT).dup('c').data().asFloat()));
        w.write(dir.resolve("model.safetensors"));
    }
}
