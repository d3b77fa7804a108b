package org.sonarllm.examples;

import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.generate.GenerationOptions;
import org.sonarllm.generate.GenerationResult;
import org.sonarllm.generate.StopCriterion;
import org.sonarllm.models.SonarModel;
import org.sonarllm.models.SonarModels;

/**
 * Continues a prompt sentence by sentence with the default model ({@code SONARLLM_MODEL}, else the
 * bundle of {@code org.sonarllm:sonarllm-default-model} on the class path), streaming each sentence as
 * it is decoded. Compiles against sonarllm-core only.
 *
 * <pre>{@code
 * java -cp "sonarllm-examples/target/classes:sonarllm-examples/target/lib/*" org.sonarllm.examples.Continue \
 *     3 "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife."
 * }</pre>
 */
public final class Continue {
    private Continue() {}

    /**
     * @param args the number of sentences to generate, then the prompt (joined with spaces)
     */
    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: Continue SENTENCES PROMPT...");
            System.exit(2);
        }
        GenerationOptions options = GenerationOptions.builder().decoding(DecodingOptions.beam(5))
                .stopCriterion(StopCriterion.eosCosineAtLeast(0.98).or(StopCriterion.maxSentences(Integer.parseInt(args[0]))))
                .build();
        String prompt = String.join(" ", java.util.List.of(args).subList(1, args.length));
        try (SonarModel model = SonarModels.loadDefault()) {
            GenerationResult r = model.generator().generate(prompt, options, s -> System.out.println(s.text()));
            System.out.println("(stopped: " + r.stopReason() + ")");
        }
    }
}
