package org.sonarllm.training.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sonarllm.onnx.weights.M2M100Weights;
import org.sonarllm.onnx.graph.TeacherForcingDecoderGraph;

/** Test helper: the teacher-forcing graph built from Hugging Face decoder weights and imported like a bundle's. */
final class ImportedFromWeights {
    private ImportedFromWeights() {}

    static ImportedSonarDecoder load(Path decoderDir) {
        try {
            Path tmp = Files.createTempFile("sonar-decoder-training", ".onnx");
            tmp.toFile().deleteOnExit();
            try (M2M100Weights w = M2M100Weights.open(decoderDir, M2M100Weights.Side.DECODER)) {
                TeacherForcingDecoderGraph.buildWithPositionInput(w).write(tmp);
                return ImportedSonarDecoder.importFile(tmp, w.dModel(), w.padId(), w.maxPositions(), w.vocab());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
