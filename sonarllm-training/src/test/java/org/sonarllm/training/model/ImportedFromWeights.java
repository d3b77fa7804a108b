package org.sonarllm.training.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.graph.GraphWeights;
import org.sonarllm.onnx.graph.TeacherForcingDecoderGraph;
import org.sonarllm.onnx.weights.SafeTensors;

/**
 * Test helper: the teacher-forcing graph built from Hugging Face decoder weights (config.json +
 * model.safetensors with M2M100ForConditionalGeneration keys) and imported like a format-2 bundle's: the
 * weights are graph inputs, set from the safetensors file after the import.
 */
final class ImportedFromWeights {
    private ImportedFromWeights() {}

    static SonarConfig dims(Path decoderDir) {
        try {
            return SonarConfig.fromHf(new ObjectMapper().readTree(decoderDir.resolve("config.json").toFile()),
                    decoderDir.resolve("config.json").toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ImportedSonarDecoder load(Path decoderDir) {
        try {
            Path tmp = Files.createTempFile("sonar-decoder-training", ".onnx");
            tmp.toFile().deleteOnExit();
            SonarConfig dims = dims(decoderDir);
            Path weights = decoderDir.resolve("model.safetensors");
            try (SafeTensors w = SafeTensors.open(weights)) {
                TeacherForcingDecoderGraph.buildWithPositionInput(dims, true, GraphWeights.inputs(w)).write(tmp);
            }
            return ImportedSonarDecoder.importFile(tmp, DecoderGraphs.Weights.of(weights), dims.model(), SonarConfig.PAD,
                    dims.maxPositions(), dims.vocab());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
