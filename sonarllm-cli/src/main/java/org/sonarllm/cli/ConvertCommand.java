package org.sonarllm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.convert.ConceptLmConverter;
import org.sonarllm.onnx.convert.SonarConverter;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm convert --encoder DIR --decoder DIR --tokenizer DIR [--concept-lm DIR] --out BUNDLE}:
 * converts the SONAR encoder and decoder ports and the NLLB tokenizer folder as downloaded (and a
 * SONAR-LLM concept-LM release, with {@link ConceptLmConverter}) into a model bundle; progress goes to
 * stderr, one JSON line describing the bundle to stdout.
 *
 * <pre>{@code
 * ./sonarllm convert --encoder SONAR_200_text_encoder --decoder SONAR_200_text_decoder \
 *     --tokenizer nllb-tokenizer --concept-lm SONAR-LLM-600M --out sonar-llm-600m
 * {"bundle":"sonar-llm-600m","formatVersion":2,"dimensions":{...},"components":["encoder","decoder",...]}
 * }</pre>
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert SONAR encoder/decoder checkpoints (config.json + model.safetensors, sharded safetensors or "
                + "pytorch_model.bin), an NLLB tokenizer folder and optionally a SONAR-LLM concept LM into a model bundle.")
final class ConvertCommand extends CliCommand {
    @Option(names = "--encoder", required = true, paramLabel = "DIR", description = "Encoder checkpoint directory.")
    Path encoder;

    @Option(names = "--decoder", required = true, paramLabel = "DIR", description = "Decoder checkpoint directory.")
    Path decoder;

    @Option(names = "--tokenizer", required = true, paramLabel = "DIR",
            description = "NLLB tokenizer directory (sentencepiece.bpe.model; tokenizer_config.json as Hugging Face ships it,"
                    + " or languages.txt).")
    Path tokenizer;

    @Option(names = "--concept-lm", paramLabel = "DIR", description = "SONAR-LLM concept LM (optional): the authors' "
            + "checkpoint.pt with SonarLLM_*.json, the Hugging Face layout, or config.json + *.safetensors.")
    Path conceptLm;

    @Option(names = "--lexicon", paramLabel = "PATH", description = "A text (file or directory; a word list, one per "
            + "line, works) whose words become the bundle's lexicon: its generator then writes only those words.")
    Path lexicon;

    @Option(names = "--out", required = true, paramLabel = "BUNDLE", description = "Bundle directory to create.")
    Path out;

    @Option(names = "--quantize", defaultValue = "float32", paramLabel = "float32|float16|int8|int4",
            description = "Storage of the encoder's and decoder's weights: float16 halves the files (run and trained "
                    + "as float32 after loading); int8/int4 are weight-only block quantization (blocks of 32; no "
                    + "decoder_training component then; default: ${DEFAULT-VALUE}).")
    String quantize;

    /** One output line. */
    record Line(String bundle, int formatVersion, SonarConfig dimensions, java.util.Set<String> components) {}

    @Override
    protected int run() {
        SonarConverter.Quantization q = SonarConverter.Quantization.parse(quantize);
        Map<String, SonarConverter.ComponentWriter> extras = new LinkedHashMap<>();
        if (conceptLm != null) {
            if (!Files.isDirectory(conceptLm)) {
                throw new UsageException("--concept-lm: checkpoint directory not found: " + conceptLm);
            }
            extras.put(BundleManifest.CONCEPT_LM, ConceptLmConverter.componentWriter(conceptLm, 0));
        }
        if (lexicon != null) {
            extras.put(BundleManifest.LEXICON, SonarConverter.lexicon(LexiconFlag.read(lexicon)));
        }
        Bundle b = SonarConverter.convert(encoder, decoder, tokenizer, out, extras, OnnxConceptEncoder::open,
                progress(stderr()), q);
        json().write(new Line(out.toString(), b.manifest().formatVersion(), b.manifest().dimensions(),
                b.manifest().components().keySet()));
        return 0;
    }

    /** One stderr line per step and per tenth of a file: "convert: decoder.safetensors 40% (1843 of 4608 MB)". */
    static SonarConverter.Progress progress(java.io.PrintStream err) {
        String[] step = {""};
        long[] tenth = {-1};
        return (s, done, total) -> {
            long t = total <= 0 ? 10 : done * 10 / total;
            if (!s.equals(step[0]) || t != tenth[0]) {
                step[0] = s;
                tenth[0] = t;
                if (s.equals("eos")) {
                    err.printf("convert: end-of-sequence embedding%s%n", done >= total ? " done" : "");
                } else {
                    err.printf("convert: %s %d%% (%d of %d MB)%n", s, t * 10, done >> 20, total >> 20);
                }
                err.flush();
            }
        };
    }
}
