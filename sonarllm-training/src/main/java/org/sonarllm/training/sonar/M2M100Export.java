package org.sonarllm.training.sonar;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.weights.SafeTensorsWriter;

/**
 * Writes autoencoder parameters as two Hugging Face M2M100 checkpoints (the layout of the real SONAR
 * conversions and of tiny-a): {@code encoder/} with M2M100Encoder keys and {@code decoder/} with
 * M2M100ForConditionalGeneration decoder keys ({@code model.shared.weight},
 * {@code model.decoder.embed_tokens.weight} and {@code lm_head.weight} tied). The decoder's
 * cross-attention query/key projections and cross-attention LayerNorm are written too (the converter
 * expects them) although over a single key they cannot change the output.
 *
 * <pre>{@code
 * M2M100Export.write(cfg, graph.parameters(), Path.of("out/encoder"), Path.of("out/decoder"));
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
            dec.put(p + ".q_proj.weight", org.nd4j.linalg.factory.Nd4j.zeros(DataType.FLOAT, d, d));
            dec.put(p + ".q_proj.bias", org.nd4j.linalg.factory.Nd4j.zeros(DataType.FLOAT, d));
            dec.put(p + ".k_proj.weight", org.nd4j.linalg.factory.Nd4j.zeros(DataType.FLOAT, d, d));
            dec.put(p + ".k_proj.bias", org.nd4j.linalg.factory.Nd4j.zeros(DataType.FLOAT, d));
            dec.put(p + "_layer_norm.weight", org.nd4j.linalg.factory.Nd4j.ones(DataType.FLOAT, d));
            dec.put(p + "_layer_norm.bias", org.nd4j.linalg.factory.Nd4j.zeros(DataType.FLOAT, d));
        }
        writeDir(encoderDir, cfg.toHf("M2M100Encoder"), enc);
        writeDir(decoderDir, cfg.toHf("M2M100ForConditionalGeneration"), dec);
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
