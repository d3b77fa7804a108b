package org.sonarllm.models;

import java.util.Optional;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.decode.ConceptDecoder;
import org.sonarllm.decode.Lexicon;
import org.sonarllm.encode.ConceptEncoder;
import org.sonarllm.generate.BatchOptions;
import org.sonarllm.generate.GenerationOptions;
import org.sonarllm.generate.Generator;
import org.sonarllm.generate.ModelDefaults;
import org.sonarllm.generate.SonarLlmGenerator;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * A loaded model bundle: its tokenizer, SONAR encoder and decoder, and (when the bundle has one) its
 * concept LM and the SONAR-LLM {@link #generator()}. Obtained from {@link SonarModels}, which finds the
 * implementation on the class path ({@code org.sonarllm:sonarllm-onnx} provides one), so application
 * code compiles against {@code sonarllm-core} alone.
 *
 * <p>Implementations are thread-safe and own native resources: close the model (idempotent), which
 * closes every component; do not close the components themselves.
 *
 * <pre>{@code
 * try (SonarModel model = SonarModels.loadDefault()) {
 *     GenerationResult r = model.generator().generate("The morning was fine. She walked out alone.");
 *     r.sentences().forEach(s -> System.out.println(s.text()));
 *     float[] v = model.encoder().encode("The weather is lovely today.", Language.ENGLISH);
 *     String text = model.decoder().decode(v, Language.ENGLISH, DecodingOptions.beam(5)).text();
 * }
 * }</pre>
 */
public interface SonarModel extends AutoCloseable {
    /** @return the sentence encoder (text to vectors) */
    ConceptEncoder encoder();

    /** @return the sentence decoder (vectors to text) */
    ConceptDecoder decoder();

    /**
     * @return the concept LM of the bundle's {@value BundleManifest#CONCEPT_LM} component
     * @throws org.sonarllm.ModelFormatException if the bundle has none ({@link #hasConceptLm()})
     */
    ConceptLM conceptLm();

    /** @return whether the bundle has a concept LM, i.e. whether {@link #generator()} works */
    boolean hasConceptLm();

    /**
     * The SONAR-LLM loop over this model's segmenters, encoder, concept LM and decoder, stopping on the
     * manifest's end-of-sequence embedding. Thread-safe; created once.
     *
     * @return the generator
     * @throws org.sonarllm.ModelFormatException if the bundle has no concept LM
     */
    Generator generator();

    /**
     * A new generator over this model with its own batching of {@link Generator#generateAll}, and the
     * model's default options ({@link ModelDefaults} from the {@value BundleManifest#CONCEPT_LM}
     * component's properties) like {@link #generator()}.
     *
     * <pre>{@code
     * List<GenerationResult> rs = model.generator(BatchOptions.of(16, 2)).generateAll(prompts);
     * }</pre>
     *
     * @param batching batch size and threads of {@code generateAll}
     * @return the generator (thread-safe; cheap to create)
     * @throws org.sonarllm.ModelFormatException if the bundle has no concept LM or malformed defaults
     */
    default Generator generator(BatchOptions batching) {
        BundleManifest.Component c = manifest().components().get(BundleManifest.CONCEPT_LM);
        GenerationOptions defaults = ModelDefaults.apply(GenerationOptions.defaults(),
                c == null ? java.util.Map.of() : c.properties(), "bundle manifest");
        if (lexicon().isPresent()) {
            defaults = defaults.toBuilder().decoding(defaults.decoding().withLexicon(lexicon().get())).build();
        }
        return SonarLlmGenerator.builder().segmenter(SentenceSegmenters::forLanguage).encoder(encoder())
                .conceptLm(conceptLm()).decoder(decoder()).eosEmbedding(manifest().eosEmbedding())
                .defaultOptions(defaults).batchOptions(batching).build();
    }

    /** @return the bundle's tokenizer */
    SonarTokenizer tokenizer();

    /**
     * The bundle's {@value BundleManifest#LEXICON} component: the words its generator writes by default (its
     * default options' {@link org.sonarllm.decode.DecodingOptions#lexicon()}); the decoder itself uses a lexicon
     * only when its options say so.
     *
     * @return the lexicon, or empty if the bundle has none
     */
    default Optional<Lexicon> lexicon() {
        return Optional.empty();
    }

    /** @return the bundle's manifest (dimensions, languages, end-of-sequence sentence, components) */
    BundleManifest manifest();

    /** Closes every component. Idempotent. */
    @Override
    void close();
}
