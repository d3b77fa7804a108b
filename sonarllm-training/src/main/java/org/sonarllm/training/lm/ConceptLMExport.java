package org.sonarllm.training.lm;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.SonarLlmException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.bundle.BundleWriter;
import org.sonarllm.bundle.internal.StagingDir;
import org.sonarllm.onnx.convert.ConceptLmConverter;
import org.sonarllm.onnx.weights.SafeTensorsWriter;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.training.model.ConceptLMWeights;

/**
 * Writes a trained concept LM: as a SONAR-LLM checkpoint directory (flat Llama {@code config.json}
 * with {@code sonar_dim}, {@code model.safetensors} with the SONAR-LLM key names), and as the {@code
 * concept_lm} component of a bundle ({@code concept-lm.safetensors} once, {@code concept-lm.onnx}
 * referencing it, the config as a manifest property), built by the same {@link ConceptLmConverter} that
 * converts released checkpoints, so {@code Generator} runs it and {@code train --init-from} / {@code
 * eval-loss} read it back ({@code ConceptLMWeights.fromBundle}).
 *
 * <pre>{@code
 * ConceptLMExport.toBundle(trainer.config(), trainer.parameters(), Path.of("bundle"), Path.of("my-bundle"));
 * }</pre>
 */
public final class ConceptLMExport {
    private ConceptLMExport() {}

    /**
     * @param cfg model config
     * @param params parameters by checkpoint name
     * @param dir output directory (created; files replaced atomically)
     */
    public static void writeCheckpoint(ConceptLMConfig cfg, Map<String, INDArray> params, Path dir) {
        try {
            Files.createDirectories(dir);
            write(dir.resolve("config.json"), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg.toJson()));
        } catch (IOException e) {
            throw BundleWriter.writeFailure(dir.resolve("config.json"), e);
        }
        SafeTensorsWriter w = new SafeTensorsWriter();
        for (Map.Entry<String, long[]> e : cfg.parameterShapes().entrySet()) {
            INDArray a = params.get(e.getKey());
            if (a == null || !java.util.Arrays.equals(a.shape(), e.getValue())) {
                throw new SonarLlmException("expected parameter " + e.getKey() + " of shape "
                        + java.util.Arrays.toString(e.getValue()) + ", found " + (a == null ? "none" : java.util.Arrays.toString(a.shape())));
            }
            w.add(e.getKey(), e.getValue(), () -> a.dup('c').castTo(DataType.FLOAT).data().asFloat());
        }
        w.write(dir.resolve("model.safetensors"));
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Writes the concept LM ({@code concept-lm.onnx} and {@code concept-lm.safetensors}) into a copy of
     * {@code inputBundle} and registers it as the bundle's concept LM, replacing any concept LM it had (a
     * format-1 export's {@code concept_lm_checkpoint/} included, so the weights are stored once). The bundle
     * is built in a temporary folder beside {@code outputBundle} ({@link StagingDir}) and renamed to it at the
     * end, replacing a previous bundle there: a failed or killed export leaves either the previous complete
     * bundle or nothing under that name, never a partial one; the next export removes what a dead one left.
     * {@code inputBundle} may equal {@code outputBundle}.
     *
     * @param cfg model config
     * @param params parameters
     * @param inputBundle the bundle trained with (encoder, decoder, tokenizer)
     * @param outputBundle where the bundle with the trained concept LM goes
     * @return the ONNX file written
     * @throws SonarLlmException if writing fails ({@code "<file>: no space left on device"} when the disk is full)
     */
    public static Path toBundle(ConceptLMConfig cfg, Map<String, INDArray> params, Path inputBundle, Path outputBundle) {
        return toBundle(cfg, params, inputBundle, outputBundle, p -> { });
    }

    /**
     * As {@link #toBundle(ConceptLMConfig, Map, Path, Path)}, calling {@code beforeCommit} with the complete
     * temporary folder just before it is renamed to {@code outputBundle}.
     *
     * @param cfg model config
     * @param params parameters
     * @param inputBundle the bundle trained with
     * @param outputBundle where the bundle goes
     * @param beforeCommit called with the complete temporary folder
     * @return the ONNX file written
     */
    public static Path toBundle(ConceptLMConfig cfg, Map<String, INDArray> params, Path inputBundle, Path outputBundle,
            java.util.function.Consumer<Path> beforeCommit) {
        Path staging = StagingDir.create(outputBundle);
        // the SONAR-LLM checkpoint the converter reads, in a temporary folder of its own beside the bundle's
        Path ckpt = StagingDir.create(outputBundle.resolveSibling(outputBundle.getFileName() + ".checkpoint"));
        try {
            copyTree(inputBundle, staging);
            dropOldCheckpoint(staging);
            writeCheckpoint(cfg, params, ckpt);
            ConceptLmConverter.addToBundle(ckpt, staging, 0);
            StagingDir.discard(ckpt);
            beforeCommit.accept(staging);
            StagingDir.commitReplacing(staging, outputBundle);
            return outputBundle.resolve(ConceptLmConverter.FILE_NAME);
        } catch (IOException e) {
            StagingDir.discard(staging);
            StagingDir.discard(ckpt);
            throw BundleWriter.writeFailure(staging, e);
        } catch (RuntimeException | Error e) {
            StagingDir.discard(staging);
            StagingDir.discard(ckpt);
            throw e;
        }
    }

    /**
     * Removes the concept LM a copied bundle had: its {@code concept_lm} files and the trained-weights folder
     * a format-1 export kept beside the graph, with their manifest entries.
     */
    private static void dropOldCheckpoint(Path bundle) throws IOException {
        BundleManifest m = Bundle.readManifest(bundle);
        List<String> files = new ArrayList<>();
        for (String c : List.of(BundleManifest.CONCEPT_LM, ConceptLMWeights.TRAIN_EXPORT_CHECKPOINT)) {
            if (m.components().containsKey(c)) {
                m.components().get(c).files().forEach(f -> files.add(f.path()));
                m = m.withoutComponent(c);
            }
        }
        BundleWriter.writeManifest(bundle, m);
        for (String f : files) {
            Files.deleteIfExists(bundle.resolve(f));
        }
        Path dir = bundle.resolve(ConceptLMWeights.TRAIN_EXPORT_CHECKPOINT);
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isEmpty()) {
                    Files.delete(dir);
                }
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                try {
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (IOException e) {
                    throw BundleWriter.writeFailure(target, e);
                }
            }
        }
    }
}
