package org.sonarllm.examples;

import java.nio.file.Path;
import java.util.List;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;
import org.sonarllm.models.SonarModel;
import org.sonarllm.models.SonarModels;

/**
 * Translation with SONAR: encode sentences in one language, decode the vectors in another. Compiles
 * against sonarllm-core only; the ONNX runtime is found on the class path.
 *
 * <pre>{@code
 * java -cp "sonarllm-examples/target/classes:sonarllm-examples/target/lib/*" org.sonarllm.examples.Translate \
 *     BUNDLE eng_Latn fra_Latn "The weather is nice today." "Where is the station?"
 * }</pre>
 */
public final class Translate {
    private Translate() {}

    /**
     * @param model a loaded bundle
     * @param sentences source sentences
     * @param from source language
     * @param to target language
     * @param options decoding options (SONAR uses beam 5)
     * @return one translation per sentence
     */
    public static List<DecodedSentence> translate(SonarModel model, List<String> sentences, Language from, Language to,
            DecodingOptions options) {
        List<float[]> vectors = model.encoder().encode(sentences, from);
        return model.decoder().decode(vectors, to, options);
    }

    /**
     * @param args bundle directory, source language, target language, then one or more sentences
     */
    public static void main(String[] args) {
        if (args.length < 4) {
            System.err.println("usage: Translate BUNDLE SRC_LANG TGT_LANG SENTENCE...");
            System.exit(2);
        }
        try (SonarModel model = SonarModels.load(Path.of(args[0]))) {
            List<String> sentences = List.of(args).subList(3, args.length);
            List<DecodedSentence> out = translate(model, sentences, Language.of(args[1]), Language.of(args[2]),
                    DecodingOptions.beam(5));
            for (int i = 0; i < out.size(); i++) {
                System.out.println(sentences.get(i) + "\t" + out.get(i).text());
            }
        }
    }
}
