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
 * converts Hugging Face M2M100-layout SONAR checkpoints (and a SONAR-LLM checkpoint, with {@link
 * ConceptLmConverter}) into a model bundle; prints one JSON line describing it.
 *
 * <pre>{@code
 * ./sonarllm convert --encoder sonar/encoder --decoder sonar/decoder --tokenizer sonar/tokenizer --out bundle
 * {"bundle":"bundle","dimensions":{...},"components":["encoder","decoder",...]}
 * }</pre>
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert SONAR encoder/decoder checkpoints (config.json + model.safetensors) and a tokenizer "
                + "into a model bundle.")
final class ConvertCommand extends CliCommand {
    @Option(names = "--encoder", required = true, paramLabel = "DIR", description = "Encoder checkpoint directory.")
    Path encoder;

    @Option(names = "--decoder", required = true, paramLabel = "DIR", description = "Decoder checkpoint directory.")
    Path decoder;

    @Option(names = "--tokenizer", required = true, paramLabel = "DIR",
            description = "Tokenizer directory (sentencepiece.bpe.model, languages.txt).")
    Path tokenizer;

    @Option(names = "--concept-lm", paramLabel = "DIR", description = "SONAR-LLM concept model checkpoint (optional).")
    Path conceptLm;

    @Option(names = "--out", required = true, paramLabel = "BUNDLE", description = "Bundle directory to create.")
    Path out;

    /** One output line. */
    record Line(String bundle, SonarConfig dimensions, java.util.Set<String> components) {}

    @Override
    protected int run() {
        Map<String, SonarConverter.ComponentWriter> extras = new LinkedHashMap<>();
        if (conceptLm != null) {
            if (!Files.isDirectory(conceptLm)) {
                throw new UsageException("--concept-lm: checkpoint directory not found: " + conceptLm);
            }
            extras.put(BundleManifest.CONCEPT_LM, ConceptLmConverter.componentWriter(conceptLm, 0));
        }
        Bundle b = SonarConverter.convert(encoder, decoder, tokenizer, out, extras, OnnxConceptEncoder::open);
        json().write(new Line(out.toString(), b.manifest().dimensions(), b.manifest().components().keySet()));
        return 0;
    }
}
