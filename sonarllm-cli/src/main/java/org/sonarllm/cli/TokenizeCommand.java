package org.sonarllm.cli;

import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sonarllm.InvalidInputException;
import org.sonarllm.lang.Language;
import org.sonarllm.tokenize.SonarTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm tokenize --tokenizer DIR --lang L [--target]}: one sentence per stdin line; prints
 * {@code {"ids": [...]}} per line in encoder format {@code [lang] + pieces + [</s>]}, or with
 * {@code --target} the decoder teacher-forcing target (the same layout in the NLLB convention).
 *
 * <pre>{@code
 * echo "He could not help it." | ./sonarllm tokenize --tokenizer tiny-a/tokenizer --lang eng_Latn
 * {"ids":[1047,306,145,61,31,935,944,72,947,2]}
 * }</pre>
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Tokenize one sentence per stdin line into SONAR/NLLB ids: one JSON line {ids} per input line.")
final class TokenizeCommand extends CliCommand {
    @Option(names = "--tokenizer", required = true, paramLabel = "DIR",
            description = "Directory with sentencepiece.bpe.model and languages.txt.")
    Path dir;

    @Option(names = "--lang", required = true, converter = LanguageConverter.class,
            description = "FLORES-200 language code, e.g. eng_Latn.")
    Language lang;

    @Option(names = "--target", description = "Decoder teacher-forcing target format instead of encoder input.")
    boolean target;

    @Option(names = "--max-length", defaultValue = "512",
            description = "Longest id sequence; longer lines are cut keeping </s> (default: ${DEFAULT-VALUE}).")
    int maxLength;

    /** One output line. */
    record Line(int[] ids) {}

    @Override
    protected int run() throws Exception {
        if (!Files.isDirectory(dir)) {
            throw new UsageException("tokenizer directory not found: " + dir);
        }
        try (SonarTokenizer tok = SonarTokenizer.load(dir, maxLength); BufferedReader r = stdinLines()) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                int[] ids;
                try {
                    ids = target ? tok.decoderTarget(line, lang) : tok.encoderIds(line, lang);
                } catch (InvalidInputException e) {
                    throw new InvalidInputException("stdin line " + n + ": " + e.getMessage(), e);
                }
                json().write(new Line(ids));
            }
        }
        return 0;
    }
}
