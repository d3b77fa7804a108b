package org.sonarllm.onnx.convert;

import org.sonarllm.model.ConceptLMConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.bundle.BundleWriter;
import org.sonarllm.encode.ConceptEncoder;
import org.sonarllm.lang.Language;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.graph.SonarDecoderGraph;
import org.sonarllm.onnx.graph.SonarEncoderGraph;
import org.sonarllm.onnx.graph.TeacherForcingDecoderGraph;
import org.sonarllm.onnx.weights.M2M100Weights;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * Converts Hugging Face M2M100-layout SONAR encoder and decoder checkpoints plus an NLLB tokenizer
 * directory into a model bundle: {@code encoder.onnx}, {@code decoder.onnx}, {@code
 * decoder_cross.onnx}, {@code decoder_training.onnx} (ND4J-importable teacher forcing), the
 * tokenizer files and {@code manifest.json} with hashes and the end-of-sequence sentence {@value
 * ConceptLMConfig#EOS_TEXT} with its embedding. The converter runs no model itself: the caller
 * hands it an {@link EncoderOpener} that opens an encoder over the bundle being built (the ONNX Runtime
 * one is {@code OnnxConceptEncoder::open}), which embeds that sentence in English and is closed.
 * Extra components (the concept LM) plug in through {@link ComponentWriter}s.
 *
 * <pre>{@code
 * Bundle b = SonarConverter.convert(Path.of("sonar/encoder"), Path.of("sonar/decoder"),
 *         Path.of("sonar/tokenizer"), Path.of("sonar-bundle"), Map.of(), OnnxConceptEncoder::open);
 * }</pre>
 */
public final class SonarConverter {
    private static final Logger LOG = LoggerFactory.getLogger(SonarConverter.class);
    /** Tokenizer files copied into the bundle (the config is optional). */
    public static final List<String> TOKENIZER_FILES = List.of(SonarTokenizer.MODEL_FILE, SonarTokenizer.LANGUAGES_FILE,
            SonarTokenizer.CONFIG_FILE);

    private SonarConverter() {}

    /** Files written for an extra component, main file first, plus its manifest properties. */
    public record Written(List<Path> files, Map<String, Object> properties) {}

    /** Writes an extra component (e.g. the concept LM) into the bundle directory being built. */
    @FunctionalInterface
    public interface ComponentWriter {
        /**
         * @param bundleDir the bundle directory
         * @return the files written inside it and the component's properties
         */
        Written write(Path bundleDir);
    }

    /** Opens an encoder over a bundle; the converter encodes the end-of-sequence sentence with it and closes it. */
    @FunctionalInterface
    public interface EncoderOpener {
        /**
         * @param bundle the validated bundle being built (its manifest's eos embedding is still zero)
         * @return an encoder of that bundle, closed by the caller
         */
        ConceptEncoder open(Bundle bundle);
    }

    /**
     * @param encoderDir encoder checkpoint (config.json + model.safetensors)
     * @param decoderDir decoder checkpoint
     * @param tokenizerDir tokenizer directory (sentencepiece.bpe.model, languages.txt[, tokenizer_config.json])
     * @param out bundle directory to create (must not exist or be empty)
     * @param extras extra components by name, e.g. {@link BundleManifest#CONCEPT_LM}
     * @param encoders opens the new bundle's encoder to embed the end-of-sequence sentence
     * @return the validated bundle
     * @throws ModelFormatException for missing or inconsistent inputs
     */
    public static Bundle convert(Path encoderDir, Path decoderDir, Path tokenizerDir, Path out,
            Map<String, ComponentWriter> extras, EncoderOpener encoders) {
        prepareOut(out);
        for (Path p : List.of(encoderDir, decoderDir, tokenizerDir)) {
            if (!Files.isDirectory(p)) {
                throw new ModelFormatException(p + ": expected a directory, found " + (Files.exists(p) ? "a file" : "nothing"));
            }
        }
        Map<String, BundleManifest.Component> comps = new LinkedHashMap<>();
        SonarConfig dims;
        try (M2M100Weights enc = M2M100Weights.open(encoderDir, M2M100Weights.Side.ENCODER);
                M2M100Weights dec = M2M100Weights.open(decoderDir, M2M100Weights.Side.DECODER)) {
            if (enc.dModel() != dec.dModel()) {
                throw new ModelFormatException(decoderDir + ": expected d_model " + enc.dModel()
                        + " (the encoder's), found " + dec.dModel());
            }
            if (enc.vocab() != dec.vocab()) {
                throw new ModelFormatException(decoderDir + ": expected vocab_size " + enc.vocab()
                        + " (the encoder's), found " + dec.vocab());
            }
            dims = new SonarConfig(enc.dModel(), enc.vocab(), enc.layers(), dec.layers(), enc.heads(),
                    dec.heads(), enc.ffn(), dec.ffn(), Math.min(enc.maxPositions(), dec.maxPositions()));
            LOG.info("converting encoder ({} layers, d={}, vocab={})", enc.layers(), enc.dModel(), enc.vocab());
            comps.put(BundleManifest.ENCODER, BundleWriter.component(out,
                    SonarEncoderGraph.build(enc).write(out.resolve("encoder.onnx")),
                    Map.of("inputs", List.of(SonarEncoderGraph.INPUT_IDS, SonarEncoderGraph.ATTENTION_MASK),
                            "outputs", List.of(SonarEncoderGraph.OUTPUT))));
            LOG.info("converting decoder ({} layers)", dec.layers());
            comps.put(BundleManifest.DECODER, BundleWriter.component(out,
                    SonarDecoderGraph.buildIncremental(dec).write(out.resolve("decoder.onnx")), Map.of()));
            comps.put(BundleManifest.DECODER_CROSS, BundleWriter.component(out,
                    SonarDecoderGraph.buildCross(dec).write(out.resolve("decoder_cross.onnx")), Map.of()));
            comps.put(BundleManifest.DECODER_TRAINING, BundleWriter.component(out,
                    TeacherForcingDecoderGraph.buildWithPositionInput(dec).write(out.resolve("decoder_training.onnx")),
                    Map.of("inputs", List.of(TeacherForcingDecoderGraph.INPUT_IDS, TeacherForcingDecoderGraph.POSITION_IDS,
                            TeacherForcingDecoderGraph.EMBEDDING),
                            "outputs", List.of(TeacherForcingDecoderGraph.LOGITS))));
        }
        List<String> codes;
        int firstId;
        int maskId;
        Path tokOut = out.resolve("tokenizer");
        List<Path> tokFiles = copyTokenizer(tokenizerDir, tokOut);
        try (SonarTokenizer tok = SonarTokenizer.load(tokOut)) {
            if (tok.vocabSize() > dims.vocab()) {
                throw new ModelFormatException(tokenizerDir + ": expected at most " + dims.vocab()
                        + " token ids (the model's vocab_size), found " + tok.vocabSize());
            }
            firstId = tok.pieceCount() + 1;
            maskId = tok.maskId();
            codes = readLanguages(tokOut.resolve(SonarTokenizer.LANGUAGES_FILE));
        }
        comps.put(BundleManifest.TOKENIZER, BundleWriter.component(out, tokFiles, Map.of()));
        for (Map.Entry<String, ComponentWriter> e : extras.entrySet()) {
            Written w = e.getValue().write(out);
            comps.put(e.getKey(), BundleWriter.component(out, w.files(), w.properties()));
        }
        BundleManifest m = new BundleManifest(BundleManifest.FORMAT, BundleManifest.FORMAT_VERSION, dims,
                new BundleManifest.SpecialIds(SonarTokenizer.BOS, SonarTokenizer.PAD, SonarTokenizer.EOS,
                        SonarTokenizer.UNK, maskId),
                new BundleManifest.LanguageTable(firstId, codes), ConceptLMConfig.EOS_TEXT, new float[dims.model()],
                comps);
        BundleWriter.writeManifest(out, m);
        float[] eos;
        try (ConceptEncoder encoder = encoders.open(Bundle.open(out))) {
            eos = encoder.encode(ConceptLMConfig.EOS_TEXT, Language.ENGLISH);
        }
        BundleWriter.writeManifest(out, m.withEos(ConceptLMConfig.EOS_TEXT, eos));
        LOG.info("bundle written to {}", out);
        return Bundle.open(out, false);
    }

    private static void prepareOut(Path out) {
        try {
            if (Files.exists(out)) {
                if (!Files.isDirectory(out)) {
                    throw new InvalidInputException("output " + out + " exists and is not a directory");
                }
                try (Stream<Path> s = Files.list(out)) {
                    if (s.findAny().isPresent()) {
                        throw new InvalidInputException("output directory " + out + " is not empty");
                    }
                }
            }
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + out, e);
        }
    }

    private static List<Path> copyTokenizer(Path from, Path to) {
        try {
            Files.createDirectories(to);
            List<Path> files = new ArrayList<>();
            for (String f : TOKENIZER_FILES) {
                Path src = from.resolve(f);
                if (!Files.isRegularFile(src)) {
                    if (f.equals(SonarTokenizer.CONFIG_FILE)) {
                        continue;
                    }
                    throw new ModelFormatException(from + ": expected tokenizer file " + f + ", found none");
                }
                Path dst = to.resolve(f);
                Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
                files.add(dst);
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy tokenizer files from " + from, e);
        }
    }

    private static List<String> readLanguages(Path file) {
        try {
            return Files.readAllLines(file).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
