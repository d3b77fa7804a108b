package org.sonarllm.training.sonar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.convert.SonarConverter;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import org.sonarllm.testing.TinyA;
import org.sonarllm.training.internal.SafeTensorsFile;

/** Exported M2M100-layout weights, converted by the project converter and run on ORT, reproduce the SameDiff model. */
class M2M100ExportTest {
    @TempDir
    Path tmp;

    @Test
    void exportedBundleGivesTheSameEmbeddingsAndLogitsAsTheTrainingGraph() throws Exception {
        SonarConfig cfg = SonarConfig.symmetric(1206, 16, 2, 24, 2, 2, 64);
        Map<String, INDArray> p64 = AutoencoderGraphTest.randomParams(cfg, 9);
        Map<String, INDArray> params = new LinkedHashMap<>();
        p64.forEach((k, v) -> params.put(k, v.castTo(DataType.FLOAT)));
        AutoencoderGraph g = AutoencoderGraph.build(cfg, params, DataType.FLOAT);
        Path enc = tmp.resolve("encoder");
        Path dec = tmp.resolve("decoder");
        M2M100Export.write(cfg, g.parameters(), enc, dec);

        // Layout: tiny-a key names, tied decoder tables.
        Map<String, SafeTensorsFile.Tensor> et = SafeTensorsFile.read(enc.resolve("model.safetensors"));
        Map<String, SafeTensorsFile.Tensor> dt = SafeTensorsFile.read(dec.resolve("model.safetensors"));
        assertTrue(et.containsKey("layers.1.self_attn.q_proj.weight") && et.containsKey("layer_norm.bias"));
        assertTrue(dt.containsKey("model.decoder.layers.1.encoder_attn.v_proj.weight"));
        assertEquals(new ArrayList<>(new java.util.TreeSet<>(dt.keySet())), new ArrayList<>(dt.keySet()), "sorted names");
        float[] lm = dt.get("lm_head.weight").data();
        float[] shared = dt.get("model.shared.weight").data();
        assertEquals(lm.length, shared.length);
        assertEquals(params.get("dec.embed_tokens.weight").getFloat(7, 3), lm[7 * 16 + 3], 0f);
        assertEquals(params.get("enc.layers.0.fc1.weight").getFloat(5, 2), et.get("layers.0.fc1.weight").data()[5 * 16 + 2], 0f);
        long bytes = Files.size(enc.resolve("model.safetensors"));
        long header = java.nio.ByteBuffer.wrap(Files.readAllBytes(enc.resolve("model.safetensors")), 0, 8)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, header % 8);
        assertTrue(bytes > header + 8);

        Path tok = tmp.resolve("tokenizer");
        Files.createDirectories(tok);
        for (String f : List.of("sentencepiece.bpe.model", "languages.txt")) {
            Files.copy(TinyA.dir().resolve("tokenizer").resolve(f), tok.resolve(f));
        }
        Path bundle = tmp.resolve("bundle");
        SonarConverter.convert(enc, dec, tok, bundle, Map.of(), OnnxConceptEncoder::open);
        int[][] ids = {{1047, 10, 20, 30, 2}, {1047, 40, 2}, {1047, 500, 600, 700, 800, 900, 1000, 2}};
        long[][] padded = new long[3][8];
        for (int i = 0; i < 3; i++) {
            java.util.Arrays.fill(padded[i], 1);
            for (int t = 0; t < ids[i].length; t++) {
                padded[i][t] = ids[i][t];
            }
        }
        float[][] sd = g.embed(padded);
        int[][] din = {{2, 1047, 10, 20, 30}, {2, 1047, 40, 50, 60}, {2, 1047, 500, 600, 700}};
        int[][] dout = {{1047, 10, 20, 30, 2}, {1047, 40, 50, 60, 2}, {1047, 500, 600, 700, 2}};
        AutoencoderBatch b = AutoencoderBatch.plain(ids, din, dout, cfg, DataType.FLOAT);
        float[][] sdLogits = g.logits(b).toFloatMatrix();
        int stride = sdLogits.length / 3; // rows per sentence: the batch's length, rounded up to a multiple of 8
        try (SonarLlm llm = SonarLlm.load(bundle)) {
            List<int[]> rows = List.of(ids);
            List<float[]> ort = llm.onnxEncoder().encodeIds(rows);
            double maxEmb = 0;
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 16; j++) {
                    assertEquals(sd[i][j], ort.get(i)[j], 1e-4, "embedding " + i + "," + j);
                    maxEmb = Math.max(maxEmb, Math.abs(sd[i][j]));
                }
            }
            assertTrue(maxEmb > 0.1, "embeddings are not trivially small");
            float[][][] ortLogits = llm.onnxDecoder().logits(ort, List.of(din));
            double maxLogit = 0;
            for (int i = 0; i < 3; i++) {
                for (int t = 0; t < 5; t++) {
                    for (int v = 0; v < cfg.vocab(); v++) {
                        assertEquals(sdLogits[i * stride + t][v], ortLogits[i][t][v], 1e-3, "logit " + i + "," + t + "," + v);
                        maxLogit = Math.max(maxLogit, Math.abs(ortLogits[i][t][v]));
                    }
                }
            }
            assertTrue(maxLogit > 1, "logits are not trivially small: " + maxLogit);
        }
    }

    @Test
    void readGivesBackWhatWriteWroteAndRefusesAnotherShape() throws Exception {
        SonarConfig cfg = SonarConfig.symmetric(1206, 16, 2, 24, 2, 2, 64);
        Map<String, INDArray> params = AutoencoderGraph.initParameters(cfg, 11);
        M2M100Export.write(cfg, params, tmp.resolve("a/encoder"), tmp.resolve("a/decoder"));
        assertEquals(cfg, M2M100Export.readConfig(tmp.resolve("a")));
        Map<String, INDArray> back = M2M100Export.read(cfg, tmp.resolve("a"));
        assertEquals(List.copyOf(params.keySet()), List.copyOf(back.keySet()));
        for (String k : params.keySet()) {
            assertArrayEquals(params.get(k).shape(), back.get(k).shape(), k);
            assertArrayEquals(params.get(k).dup('c').data().asFloat(), back.get(k).dup('c').data().asFloat(), 0f, k);
        }

        // another shape than the caller's: refused, naming both
        SonarConfig deeper = SonarConfig.symmetric(1206, 16, 2, 24, 2, 3, 64);
        InvalidInputException shape = assertThrows(InvalidInputException.class, () -> M2M100Export.read(deeper, tmp.resolve("a")));
        assertTrue(shape.getMessage().startsWith("expected a space of shape " + deeper + " in " + tmp.resolve("a") + ", found "
                + cfg), shape.getMessage());
        // a directory that holds no space
        ModelFormatException none = assertThrows(ModelFormatException.class, () -> M2M100Export.readConfig(tmp.resolve("b")));
        assertEquals("expected " + tmp.resolve("b/encoder/config.json") + " (a space written by train-space), found none",
                none.getMessage());
        // the two configs disagree
        M2M100Export.write(deeper, AutoencoderGraph.initParameters(deeper, 1), tmp.resolve("c/encoder"), tmp.resolve("c/decoder"));
        Files.copy(tmp.resolve("a/encoder/config.json"), tmp.resolve("c/encoder/config.json"), StandardCopyOption.REPLACE_EXISTING);
        assertThrows(ModelFormatException.class, () -> M2M100Export.readConfig(tmp.resolve("c")));
        // a tensor missing from the weights
        Map<String, INDArray> missing = new LinkedHashMap<>(params);
        missing.remove("enc.layers.1.fc2.bias");
        M2M100Export.write(cfg, missing, tmp.resolve("d/encoder"), tmp.resolve("d/decoder"));
        ModelFormatException gone = assertThrows(ModelFormatException.class, () -> M2M100Export.read(cfg, tmp.resolve("d")));
        assertEquals(tmp.resolve("d/encoder/model.safetensors") + ": expected tensor layers.1.fc2.bias of shape [16], found none",
                gone.getMessage());
    }
}
