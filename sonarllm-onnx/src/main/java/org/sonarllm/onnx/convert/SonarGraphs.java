package org.sonarllm.onnx.convert;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.graph.GraphWeights;
import org.sonarllm.onnx.graph.SonarDecoderGraph;
import org.sonarllm.onnx.graph.SonarEncoderGraph;
import org.sonarllm.onnx.graph.TeacherForcingDecoderGraph;
import org.sonarllm.onnx.weights.M2M100Weights;
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.onnx.weights.SafeTensorsWriter;

/**
 * Writes the encoder's and the decoder's part of a format-2 bundle: the weights once (streamed from
 * the checkpoint into {@value SonarConverter#ENCODER_WEIGHTS} / {@value SonarConverter#DECODER_WEIGHTS}),
 * then the graphs that reference them. Stateless.
 */
final class SonarGraphs {
    private static final Logger LOG = LoggerFactory.getLogger(SonarGraphs.class);

    private SonarGraphs() {}

    /** The files and properties of the components written, by component name. */
    record Files(Map<String, List<Path>> files, Map<String, Map<String, Object>> properties) {
        List<Path> files(String component) {
            return files.get(component);
        }

        Map<String, Object> properties(String component) {
            return properties.getOrDefault(component, Map.of());
        }
    }

    static Files writeEncoder(Path dir, M2M100Weights enc, SonarConfig dims, SonarConverter.Progress progress,
            SonarConverter.Quantization q) {
        Path weights = writeWeights(dir.resolve(SonarConverter.ENCODER_WEIGHTS), enc, progress, q);
        Path graph = dir.resolve("encoder.onnx");
        try (SafeTensors st = SafeTensors.open(weights)) {
            SonarEncoderGraph.build(dims, enc.scaleEmbedding(), GraphWeights.external(st)).write(graph);
        }
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("inputs", List.of(SonarEncoderGraph.INPUT_IDS, SonarEncoderGraph.ATTENTION_MASK));
        props.put("outputs", List.of(SonarEncoderGraph.OUTPUT));
        props.put(QUANTIZATION, q.toString());
        return new Files(Map.of(BundleManifest.ENCODER, List.of(graph, weights)), Map.of(BundleManifest.ENCODER, props));
    }

    static Files writeDecoder(Path dir, M2M100Weights dec, SonarConfig dims, SonarConverter.Progress progress,
            SonarConverter.Quantization q) {
        Path weights = writeWeights(dir.resolve(SonarConverter.DECODER_WEIGHTS), dec, progress, q);
        Map<String, List<Path>> files = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(weights)) {
            GraphWeights ext = GraphWeights.external(st);
            files.put(BundleManifest.DECODER, withWeights(SonarDecoderGraph.buildIncremental(dims, dec.scaleEmbedding(), ext)
                    .write(dir.resolve("decoder.onnx")), weights));
            files.put(BundleManifest.DECODER_CROSS, withWeights(SonarDecoderGraph.buildCross(dims, ext)
                    .write(dir.resolve("decoder_cross.onnx")), weights));
            if (!q.blocks()) {
                files.put(BundleManifest.DECODER_TRAINING, withWeights(TeacherForcingDecoderGraph.buildWithPositionInput(
                        dims, dec.scaleEmbedding(), GraphWeights.inputs(st)).write(dir.resolve("decoder_training.onnx")),
                        weights));
            }
        }
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("inputs", List.of(TeacherForcingDecoderGraph.INPUT_IDS, TeacherForcingDecoderGraph.POSITION_IDS,
                TeacherForcingDecoderGraph.EMBEDDING));
        training.put("outputs", List.of(TeacherForcingDecoderGraph.LOGITS));
        training.put("weights", "inputs");
        return new Files(files, Map.of(BundleManifest.DECODER_TRAINING, training, BundleManifest.DECODER,
                Map.of(QUANTIZATION, q.toString())));
    }

    private static List<Path> withWeights(List<Path> graphFiles, Path weights) {
        List<Path> all = new ArrayList<>(graphFiles);
        all.add(weights);
        return all;
    }

    /** Component property: the weights' quantization ({@code float32}, {@code int8 block 32}, ...). */
    static final String QUANTIZATION = "quantization";

    private static Path writeWeights(Path file, M2M100Weights w, SonarConverter.Progress progress,
            SonarConverter.Quantization q) {
        SafeTensorsWriter writer = new SafeTensorsWriter();
        if (q.blocks()) {
            QuantizedWeights.addTo(writer, w, q);
        } else {
            w.addTo(writer, q.bits() == 16);
        }
        String label = file.getFileName().toString();
        LOG.info("writing {} ({} tensors, {} MB)", label, w.tensors().size(), writer.fileBytes() >> 20);
        long[] step = {0};
        writer.write(file, (t, done, total) -> {
            progress.update(label, done, total);
            if (done * 10 / Math.max(1, total) > step[0]) {
                step[0] = done * 10 / Math.max(1, total);
                LOG.info("{}: {}% ({} of {} MB)", label, step[0] * 10, done >> 20, total >> 20);
            }
        });
        return file;
    }
}
