package org.sonarllm.onnx.convert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.ModelFormatException;
import org.sonarllm.SonarLlmException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.bundle.BundleWriter;
import org.sonarllm.bundle.internal.StagingDir;
import org.sonarllm.decode.Lexicon;
import org.sonarllm.encode.ConceptEncoder;
import org.sonarllm.lang.Language;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.weights.M2M100Weights;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * Converts SONAR encoder and decoder checkpoints as published (Hugging Face M2M100 layouts: {@code
 * config.json} with {@code model.safetensors}, sharded safetensors, {@code pytorch_model.bin} or sharded
 * {@code .bin}; F32, F16 or BF16) and an NLLB tokenizer folder (as Hugging Face ships it, or with
 * {@code languages.txt}) into a model bundle of format {@value BundleManifest#FORMAT_VERSION}: each
 * model's weights once, as {@code encoder.safetensors} and {@code decoder.safetensors}, referenced as
 * ONNX external data by {@code encoder.onnx}, {@code decoder.onnx} and {@code decoder_cross.onnx}, and
 * as graph inputs by {@code decoder_training.onnx} (ND4J-importable teacher forcing); the tokenizer
 * files; {@code manifest.json} with hashes and the end-of-sequence sentence {@value
 * ConceptLMConfig#EOS_TEXT} with its embedding. Extra components (the concept LM) plug in through
 * {@link ComponentWriter}s.
 *
 * <p>Every input is checked before anything is written (configs, every tensor's name, shape and type,
 * the tokenizer against the vocabulary, the extras against the shape, the free disk space). The bundle
 * is then built in a temporary folder beside {@code out} and renamed at the end: a failed or killed
 * conversion leaves nothing under {@code out}, and the next run removes the temporary folders of dead
 * runs. Tensors are streamed one piece at a time, so memory does not grow with the model. The converter
 * runs no model itself: the caller hands it an {@link EncoderOpener} (the ONNX Runtime one is {@code
 * OnnxConceptEncoder::open}) that embeds the end-of-sequence sentence in English.
 *
 * <pre>{@code
 * Bundle b = SonarConverter.convert(Path.of("sonar/encoder"), Path.of("sonar/decoder"),
 *         Path.of("sonar/tokenizer"), Path.of("sonar-bundle"), Map.of(), OnnxConceptEncoder::open,
 *         (step, done, total) -> System.err.printf("%s %d/%d%n", step, done, total));
 * }</pre>
 */
public final class SonarConverter {
    private static final Logger LOG = LoggerFactory.getLogger(SonarConverter.class);
    /** Tokenizer files copied into the bundle when the source folder has them (the SentencePiece model is required). */
    public static final List<String> TOKENIZER_FILES = List.of(SonarTokenizer.MODEL_FILE, SonarTokenizer.LANGUAGES_FILE,
            SonarTokenizer.CONFIG_FILE, SonarTokenizer.SPECIAL_TOKENS_FILE);
    /** The encoder's weights in a bundle. */
    public static final String ENCODER_WEIGHTS = "encoder.safetensors";
    /** The decoder's weights in a bundle, shared by its three graphs. */
    public static final String DECODER_WEIGHTS = "decoder.safetensors";
    /** Free space required beyond the weights and tokenizer files: 1/64 of them plus 256 KiB (graphs, manifest). */
    static long margin(long bytes) {
        return bytes / 64 + (256L << 10);
    }

    private SonarConverter() {}

    /**
     * Reports the progress of a conversion. Called from the converting thread.
     */
    @FunctionalInterface
    public interface Progress {
        /**
         * @param step the file being written (e.g. {@code decoder.safetensors}) or the step (e.g. {@code eos})
         * @param done bytes of that step done
         * @param total bytes of that step in all
         */
        void update(String step, long done, long total);
    }

    /** Files written for an extra component, main file first, plus its manifest properties. */
    public record Written(List<Path> files, Map<String, Object> properties) {}

    /**
     * Writes an extra component (e.g. the concept LM) into the bundle being built. Implementations open
     * and check their input when created, so that conversion fails before anything is written.
     */
    public interface ComponentWriter extends AutoCloseable {
        /**
         * Checks the component against the bundle's shape, before anything is written.
         *
         * @param dimensions the SONAR shape of the bundle
         * @throws ModelFormatException if it does not fit
         */
        default void validate(SonarConfig dimensions) {}

        /** @return about how many bytes {@link #write} writes (for the free-space check) */
        default long bytes() {
            return 0;
        }

        /**
         * @param bundleDir the bundle directory being built
         * @param progress receives the progress of the files written
         * @return the files written inside it and the component's properties
         */
        Written write(Path bundleDir, Progress progress);

        /** Releases what the writer opened. */
        @Override
        default void close() {}
    }

    /**
     * @param words a lexicon
     * @return the writer of a {@value BundleManifest#LEXICON} component: the words the bundle's generator writes by
     *     default ({@link org.sonarllm.models.SonarModel#lexicon()})
     */
    public static ComponentWriter lexicon(Lexicon words) {
        return (dir, progress) -> {
            Path f = dir.resolve(BundleManifest.LEXICON_FILE);
            words.write(f);
            return new Written(List.of(f), Map.of());
        };
    }

    /**
     * How the encoder's and decoder's weights are stored at conversion. {@link #FLOAT32}: as the checkpoint
     * holds them, widened. {@link #FLOAT16}: every tensor as IEEE half precision (half the bytes on disk; the
     * graphs cast each weight to float and ONNX Runtime folds the casts when it creates a session: the same speed
     * and outputs within rounding, but each session holds its float32 weights in its own memory instead of mapping
     * the file, and loads more slowly (docs/benchmarks.md); training reads the weights widened). Block
     * quantization (8 or 4 bits): every linear layer's and embedding's {@code [out, in]} matrix stored
     * block-quantized ({@code BlockQuantizer}; the graphs then use ONNX Runtime's {@code MatMulNBits} and {@code
     * GatherBlockQuantized}), biases and layer norms float32; such a bundle has no {@code decoder_training}
     * component (training needs float weights).
     *
     * @param bits 8 or 4 (block-quantized), 16 (half precision) or 0 (float32)
     * @param block inputs per quantization block (a power of two >= 16); 0 unless block-quantized
     */
    public record Quantization(int bits, int block) {
        /** No quantization. */
        public static final Quantization FLOAT32 = new Quantization(0, 0);
        /** Half-precision storage. */
        public static final Quantization FLOAT16 = new Quantization(16, 0);

        /** Checks the values. */
        public Quantization {
            boolean blocks = bits == 4 || bits == 8;
            if (blocks ? block < 16 || Integer.bitCount(block) != 1 : (bits != 0 && bits != 16) || block != 0) {
                throw new org.sonarllm.InvalidInputException("expected 8 or 4 bits and a power-of-two block >= 16, or 16"
                        + " or 0 bits and no block, found " + bits + " bits, block " + block);
            }
        }

        /**
         * @param name {@code float32}, {@code float16}, {@code int8} or {@code int4} (block 32)
         * @return the quantization
         * @throws org.sonarllm.InvalidInputException for another name
         */
        public static Quantization parse(String name) {
            return switch (name) {
                case "float32", "none" -> FLOAT32;
                case "float16" -> FLOAT16;
                case "int8" -> new Quantization(8, 32);
                case "int4" -> new Quantization(4, 32);
                default -> throw new org.sonarllm.InvalidInputException("expected quantization float32, float16, int8 or"
                        + " int4, found " + name);
            };
        }

        /** @return whether matrices are block-quantized (8 or 4 bits) */
        public boolean blocks() {
            return bits == 8 || bits == 4;
        }

        @Override
        public String toString() {
            return blocks() ? "int" + bits + " block " + block : bits == 16 ? "float16" : "float32";
        }
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
     * Converts without progress reports; see {@link #convert(Path, Path, Path, Path, Map, EncoderOpener, Progress)}.
     *
     * @param encoderDir encoder checkpoint folder @param decoderDir decoder checkpoint folder
     * @param tokenizerDir tokenizer folder @param out bundle folder to create (absent or empty)
     * @param extras extra components by name @param encoders opens the new bundle's encoder
     * @return the validated bundle
     */
    public static Bundle convert(Path encoderDir, Path decoderDir, Path tokenizerDir, Path out,
            Map<String, ComponentWriter> extras, EncoderOpener encoders) {
        return convert(encoderDir, decoderDir, tokenizerDir, out, extras, encoders, (s, d, t) -> { });
    }

    /**
     * @param encoderDir encoder checkpoint folder (config.json + weights in any layout the class comment lists)
     * @param decoderDir decoder checkpoint folder
     * @param tokenizerDir tokenizer folder (sentencepiece.bpe.model; tokenizer_config.json,
     *     special_tokens_map.json or languages.txt for the language table, else the built-in FLORES-200 list)
     * @param out bundle folder to create (must not exist, or be empty)
     * @param extras extra components by name, e.g. {@link BundleManifest#CONCEPT_LM}; closed when done
     * @param encoders opens the new bundle's encoder to embed the end-of-sequence sentence
     * @param progress receives progress reports
     * @return the validated bundle
     * @throws ModelFormatException for missing or inconsistent inputs (nothing is written then)
     * @throws org.sonarllm.InvalidInputException if {@code out} exists and is not an empty folder
     * @throws SonarLlmException if writing fails ({@code "<path>: no space left on device"} when the disk is full)
     */
    public static Bundle convert(Path encoderDir, Path decoderDir, Path tokenizerDir, Path out,
            Map<String, ComponentWriter> extras, EncoderOpener encoders, Progress progress) {
        return convert(encoderDir, decoderDir, tokenizerDir, out, extras, encoders, progress, Quantization.FLOAT32);
    }

    /**
     * As {@link #convert(Path, Path, Path, Path, Map, EncoderOpener, Progress)}, with the encoder's and decoder's
     * weights quantized as {@code quantization} says.
     *
     * @param encoderDir encoder checkpoint folder @param decoderDir decoder checkpoint folder
     * @param tokenizerDir tokenizer folder @param out bundle folder to create @param extras extra components
     * @param encoders opens the new bundle's encoder @param progress receives progress reports
     * @param quantization float32, float16, int8 or int4 weights
     * @return the validated bundle
     */
    public static Bundle convert(Path encoderDir, Path decoderDir, Path tokenizerDir, Path out,
            Map<String, ComponentWriter> extras, EncoderOpener encoders, Progress progress, Quantization quantization) {
        try {
            StagingDir.checkTarget(out);
            for (Path p : List.of(encoderDir, decoderDir, tokenizerDir)) {
                if (!Files.isDirectory(p)) {
                    throw new ModelFormatException(p + ": expected a directory, found " + (Files.exists(p) ? "a file" : "nothing"));
                }
            }
            try (M2M100Weights enc = M2M100Weights.open(encoderDir, M2M100Weights.Side.ENCODER);
                    M2M100Weights dec = M2M100Weights.open(decoderDir, M2M100Weights.Side.DECODER)) {
                SonarConfig dims = dimensions(enc, dec, decoderDir);
                TokenizerPlan tok = TokenizerPlan.check(tokenizerDir, dims.vocab());
                long bytes = enc.float32Bytes() + dec.float32Bytes() + tok.bytes();
                for (ComponentWriter w : extras.values()) {
                    w.validate(dims);
                    bytes += w.bytes();
                }
                checkSpace(out, bytes);
                LOG.info("inputs checked: encoder {} layers, decoder {} layers, d {}, vocab {}; writing about {} MB",
                        enc.layers(), dec.layers(), dims.model(), dims.vocab(), bytes >> 20);
                Path staging = StagingDir.create(out);
                try {
                    write(staging, enc, dec, dims, tok, extras, encoders, progress, quantization);
                    StagingDir.commit(staging, out);
                } catch (RuntimeException | Error e) {
                    StagingDir.discard(staging);
                    throw e;
                }
            }
        } finally {
            extras.values().forEach(ComponentWriter::close);
        }
        LOG.info("bundle written to {}", out);
        return Bundle.open(out, false);
    }

    private static SonarConfig dimensions(M2M100Weights enc, M2M100Weights dec, Path decoderDir) {
        if (enc.dModel() != dec.dModel()) {
            throw new ModelFormatException(decoderDir + ": expected d_model " + enc.dModel() + " (the encoder's), found "
                    + dec.dModel());
        }
        if (enc.vocab() != dec.vocab()) {
            throw new ModelFormatException(decoderDir + ": expected vocab_size " + enc.vocab() + " (the encoder's), found "
                    + dec.vocab());
        }
        return new SonarConfig(enc.dModel(), enc.vocab(), enc.layers(), dec.layers(), enc.heads(), dec.heads(), enc.ffn(),
                dec.ffn(), Math.min(enc.maxPositions(), dec.maxPositions()));
    }

    private static void checkSpace(Path out, long bytes) {
        Path parent = StagingDir.parent(out);
        try {
            Path existing = parent;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing == null) {
                return;
            }
            long free = Files.getFileStore(existing).getUsableSpace();
            long need = bytes + margin(bytes);
            if (free < need) {
                throw new SonarLlmException(parent + ": no space left on device for the bundle: about "
                        + (need >> 10) + " KiB needed, " + (free >> 10) + " KiB free");
            }
        } catch (IOException e) {
            LOG.warn("cannot tell the free space of {}: {}", parent, e.getMessage());
        }
    }

    private static void write(Path dir, M2M100Weights enc, M2M100Weights dec, SonarConfig dims, TokenizerPlan tok,
            Map<String, ComponentWriter> extras, EncoderOpener encoders, Progress progress, Quantization q) {
        Map<Path, String> hashes = new HashMap<>();
        java.util.function.Function<Path, String> sha = p -> hashes.computeIfAbsent(p, Bundle::sha256);
        Map<String, BundleManifest.Component> comps = new LinkedHashMap<>();
        SonarGraphs.Files e = SonarGraphs.writeEncoder(dir, enc, dims, progress, q);
        comps.put(BundleManifest.ENCODER, BundleWriter.component(dir, e.files(BundleManifest.ENCODER), e.properties(
                BundleManifest.ENCODER), sha));
        SonarGraphs.Files d = SonarGraphs.writeDecoder(dir, dec, dims, progress, q);
        for (String c : List.of(BundleManifest.DECODER, BundleManifest.DECODER_CROSS, BundleManifest.DECODER_TRAINING)) {
            if (d.files().containsKey(c)) {
                comps.put(c, BundleWriter.component(dir, d.files(c), d.properties(c), sha));
            }
        }
        comps.put(BundleManifest.TOKENIZER, BundleWriter.component(dir, tok.copyTo(dir.resolve("tokenizer")), Map.of(), sha));
        for (Map.Entry<String, ComponentWriter> x : extras.entrySet()) {
            LOG.info("writing component {}", x.getKey());
            Written w = x.getValue().write(dir, progress);
            comps.put(x.getKey(), BundleWriter.component(dir, w.files(), w.properties(), sha));
        }
        BundleManifest m = new BundleManifest(BundleManifest.FORMAT, BundleManifest.FORMAT_VERSION, dims,
                new BundleManifest.SpecialIds(SonarTokenizer.BOS, SonarTokenizer.PAD, SonarTokenizer.EOS,
                        SonarTokenizer.UNK, tok.maskId()),
                new BundleManifest.LanguageTable(tok.firstId(), tok.codes()), ConceptLMConfig.EOS_TEXT,
                new float[dims.model()], comps);
        BundleWriter.writeManifest(dir, m);
        LOG.info("embedding the end-of-sequence sentence \"{}\" with the new encoder", ConceptLMConfig.EOS_TEXT);
        progress.update("eos", 0, 1);
        float[] eos;
        try (ConceptEncoder encoder = encoders.open(Bundle.open(dir, false))) {
            eos = encoder.encode(ConceptLMConfig.EOS_TEXT, Language.ENGLISH);
        }
        progress.update("eos", 1, 1);
        BundleWriter.writeManifest(dir, m.withEos(ConceptLMConfig.EOS_TEXT, eos));
    }

    /** The tokenizer folder, checked against the model's vocabulary before anything is written. */
    record TokenizerPlan(Path dir, List<String> files, int firstId, int maskId, List<String> codes) {
        static TokenizerPlan check(Path dir, int vocab) {
            List<String> files = new ArrayList<>();
            for (String f : TOKENIZER_FILES) {
                if (Files.isRegularFile(dir.resolve(f))) {
                    files.add(f);
                }
            }
            if (!files.contains(SonarTokenizer.MODEL_FILE)) {
                throw new ModelFormatException(dir + ": expected tokenizer file " + SonarTokenizer.MODEL_FILE + ", found none");
            }
            try (SonarTokenizer t = SonarTokenizer.load(dir)) {
                if (t.vocabSize() > vocab) {
                    throw new ModelFormatException(dir + ": expected at most " + vocab + " token ids (the model's "
                            + "vocab_size), found " + t.vocabSize() + " (" + t.pieceCount() + " pieces, "
                            + t.languages().size() + " languages, <mask>)");
                }
                return new TokenizerPlan(dir, files, t.pieceCount() + 1, t.maskId(),
                        t.languages().stream().map(Language::code).toList());
            }
        }

        long bytes() {
            long n = 0;
            for (String f : files) {
                n += dir.resolve(f).toFile().length();
            }
            return n;
        }

        List<Path> copyTo(Path to) {
            List<Path> out = new ArrayList<>();
            for (String f : files) {
                Path dst = to.resolve(f);
                try {
                    Files.createDirectories(to);
                    Files.copy(dir.resolve(f), dst, StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    throw BundleWriter.writeFailure(dst, e);
                }
                out.add(dst);
            }
            try (SonarTokenizer t = SonarTokenizer.load(to)) {
                if (!t.languages().stream().map(Language::code).toList().equals(codes) || t.maskId() != maskId) {
                    throw new ModelFormatException(to + ": expected the copied tokenizer to read like " + dir + ", found "
                            + "another language table");
                }
            }
            return out;
        }
    }
}
