import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.proto.OnnxProto.ModelProto;
import org.sonarllm.onnx.proto.OnnxProto.TensorProto;
import org.sonarllm.onnx.weights.SafeTensorsWriter;

/**
 * Benchmark tool: recovers the Hugging Face M2M100 checkpoints (encoder/, decoder/) of a format-1 bundle
 * whose weights sit inside its graphs (the embedded default model), so that it can be converted again, e.g.
 * with --quantize, to measure quantization fidelity on it. The encoder comes from encoder.onnx (linear
 * weights stored transposed, q pre-scaled by head_dim^-0.5), the decoder from decoder_training.onnx (weights
 * as stored, q pre-scaled); the unused cross-attention q/k projections and norm are zeros/ones, as
 * M2M100Export writes them; scale_embedding true (SONAR's). Writes nothing into the bundle.
 *
 * Usage: java -cp "sonarllm-cli/target/classes:sonarllm-cli/target/lib/*" scripts/bench/Format1Export.java BUNDLE OUT
 */
public class Format1Export {
    public static void main(String[] args) throws Exception {
        Path bundle = Path.of(args[0]);
        Path out = Path.of(args[1]);
        SonarConfig c = Bundle.open(bundle, false).manifest().dimensions();
        int d = c.model();
        float encScale = (float) Math.pow(d / c.encoderHeads(), -0.5);
        float decScale = (float) Math.pow(d / c.decoderHeads(), -0.5);
        Map<String, TensorProto> enc = inits(bundle.resolve("encoder.onnx"));
        Map<String, TensorProto> dec = inits(bundle.resolve("decoder_training.onnx"));
        SafeTensorsWriter we = new SafeTensorsWriter();
        we.add("embed_tokens.weight", floats(enc.get("embed_tokens")), c.vocab(), d);
        for (int l = 0; l < c.encoderLayers(); l++) {
            String p = "layers." + l + ".";
            copy(we, enc, p + "self_attn_layer_norm.weight", p + "self_attn_layer_norm.weight", 1);
            copy(we, enc, p + "self_attn_layer_norm.bias", p + "self_attn_layer_norm.bias", 1);
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                float s = proj.equals("q_proj") ? 1 / encScale : 1;
                we.add(p + "self_attn." + proj + ".weight", scale(transpose(enc.get(p + proj + ".weight")), s), d, d);
                copy(we, enc, p + proj + ".bias", p + "self_attn." + proj + ".bias", s);
            }
            copy(we, enc, p + "final_layer_norm.weight", p + "final_layer_norm.weight", 1);
            copy(we, enc, p + "final_layer_norm.bias", p + "final_layer_norm.bias", 1);
            we.add(p + "fc1.weight", transpose(enc.get(p + "fc1.weight")), c.encoderFfn(), d);
            copy(we, enc, p + "fc1.bias", p + "fc1.bias", 1);
            we.add(p + "fc2.weight", transpose(enc.get(p + "fc2.weight")), d, c.encoderFfn());
            copy(we, enc, p + "fc2.bias", p + "fc2.bias", 1);
        }
        copy(we, enc, "layer_norm.weight", "layer_norm.weight", 1);
        copy(we, enc, "layer_norm.bias", "layer_norm.bias", 1);
        write(out.resolve("encoder"), c.toHf("M2M100Encoder"), we);

        SafeTensorsWriter wd = new SafeTensorsWriter();
        String m = "model.decoder.";
        float[] table = floats(dec.get("embed_tokens"));
        wd.add(m + "embed_tokens.weight", table, c.vocab(), d);
        wd.add("model.shared.weight", table, c.vocab(), d);
        wd.add("lm_head.weight", table, c.vocab(), d);
        for (int l = 0; l < c.decoderLayers(); l++) {
            String p = "layers." + l + ".";
            String q = m + p;
            copy(wd, dec, p + "self_attn_layer_norm.weight", q + "self_attn_layer_norm.weight", 1);
            copy(wd, dec, p + "self_attn_layer_norm.bias", q + "self_attn_layer_norm.bias", 1);
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                float s = proj.equals("q_proj") ? 1 / decScale : 1;
                copy(wd, dec, p + proj + ".weight", q + "self_attn." + proj + ".weight", s);
                copy(wd, dec, p + proj + ".bias", q + "self_attn." + proj + ".bias", s);
            }
            for (String proj : new String[] {"v_proj", "out_proj"}) {
                copy(wd, dec, p + "encoder_attn." + proj + ".weight", q + "encoder_attn." + proj + ".weight", 1);
                copy(wd, dec, p + "encoder_attn." + proj + ".bias", q + "encoder_attn." + proj + ".bias", 1);
            }
            wd.add(q + "encoder_attn.q_proj.weight", new float[d * d], d, d);
            wd.add(q + "encoder_attn.q_proj.bias", new float[d], d);
            wd.add(q + "encoder_attn.k_proj.weight", new float[d * d], d, d);
            wd.add(q + "encoder_attn.k_proj.bias", new float[d], d);
            float[] ones = new float[d];
            java.util.Arrays.fill(ones, 1f);
            wd.add(q + "encoder_attn_layer_norm.weight", ones, d);
            wd.add(q + "encoder_attn_layer_norm.bias", new float[d], d);
            copy(wd, dec, p + "final_layer_norm.weight", q + "final_layer_norm.weight", 1);
            copy(wd, dec, p + "final_layer_norm.bias", q + "final_layer_norm.bias", 1);
            for (String fc : new String[] {"fc1", "fc2"}) {
                copy(wd, dec, p + fc + ".weight", q + fc + ".weight", 1);
                copy(wd, dec, p + fc + ".bias", q + fc + ".bias", 1);
            }
        }
        copy(wd, dec, "layer_norm.weight", m + "layer_norm.weight", 1);
        copy(wd, dec, "layer_norm.bias", m + "layer_norm.bias", 1);
        write(out.resolve("decoder"), c.toHf("M2M100ForConditionalGeneration"), wd);
        System.out.println("wrote " + out.resolve("encoder") + " and " + out.resolve("decoder"));
    }

    static Map<String, TensorProto> inits(Path graph) throws Exception {
        Map<String, TensorProto> m = new HashMap<>();
        for (TensorProto t : ModelProto.parseFrom(Files.readAllBytes(graph)).getGraph().getInitializerList()) {
            m.put(t.getName(), t);
        }
        return m;
    }

    static float[] floats(TensorProto t) {
        if (t == null) {
            throw new IllegalArgumentException("missing initializer");
        }
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    /** A stored [rows, cols] matrix, transposed to [cols, rows]. */
    static float[] transpose(TensorProto t) {
        float[] a = floats(t);
        int rows = (int) t.getDims(0);
        int cols = (int) t.getDims(1);
        float[] o = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                o[c * rows + r] = a[r * cols + c];
            }
        }
        return o;
    }

    static float[] scale(float[] a, float s) {
        if (s != 1) {
            for (int i = 0; i < a.length; i++) {
                a[i] *= s;
            }
        }
        return a;
    }

    static void copy(SafeTensorsWriter w, Map<String, TensorProto> from, String name, String as, float s) {
        TensorProto t = from.get(name);
        if (t == null) {
            throw new IllegalArgumentException("missing initializer " + name);
        }
        long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        w.add(as, scale(floats(t), s), shape);
    }

    static void write(Path dir, Map<String, Object> config, SafeTensorsWriter w) throws Exception {
        Files.createDirectories(dir);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("config.json").toFile(), config);
        w.write(dir.resolve("model.safetensors"));
    }
}
