package org.sonarllm.it;

import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.generate.GeneratedSentence;
import org.sonarllm.generate.GenerationOptions;
import org.sonarllm.generate.GenerationResult;
import org.sonarllm.generate.StopCriterion;
import org.sonarllm.models.SonarModel;
import org.sonarllm.models.SonarModels;

/**
 * What a consumer application writes: compiled against sonarllm-core alone, it loads the default model
 * through {@link SonarModels#loadDefault()} and continues a prompt by a given number of sentences,
 * printing {@code provider: NAME}, one {@code sentence: TEXT} line per sentence and {@code stop:
 * REASON}. The integration tests run it in a child JVM with the consumer's run-time class path.
 *
 * <pre>{@code
 * java -cp "$(cat target/consumer-classpath.txt):target/classes" org.sonarllm.it.ConsumerApp 2 "It was a fine day."
 * }</pre>
 */
public final class ConsumerApp {
    private ConsumerApp() {}

    /**
     * @param args the number of sentences, then the prompt
     */
    public static void main(String[] args) {
        int sentences = Integer.parseInt(args[0]);
        GenerationOptions options = GenerationOptions.builder().decoding(DecodingOptions.greedy())
                .stopCriterion(StopCriterion.maxSentences(sentences)).build();
        try (SonarModel model = SonarModels.loadDefault()) {
            System.out.println("provider: " + SonarModels.provider().name());
            GenerationResult r = model.generator().generate(args[1], options);
            for (GeneratedSentence s : r.sentences()) {
                System.out.println("sentence: " + s.text());
            }
            System.out.println("stop: " + r.stopReason());
        }
    }
}
