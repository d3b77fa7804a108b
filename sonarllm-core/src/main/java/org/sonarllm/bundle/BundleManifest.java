package org.sonarllm.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.sonarllm.model.SonarConfig;

/**
 * The {@code manifest.json} of a model bundle (format version {@value #FORMAT_VERSION}): dimensions,
 * special token ids, the language table, the end-of-sequence sentence and its embedding, and the
 * component files with their sha256. Immutable (arrays are copied in and out).
 *
 * <pre>{@code
 * Bundle b = Bundle.open(Path.of("sonar-bundle"));
 * BundleManifest m = b.manifest();
 * int d = m.dimensions().model();
 * Path enc = b.file(BundleManifest.ENCODER);
 * }</pre>
 *
 * @param format always {@value #FORMAT}
 * @param formatVersion the layout version, {@value #FORMAT_VERSION}
 * @param dimensions the SONAR encoder/decoder shape
 * @param specialIds special token ids
 * @param languages the language codes and the id of the first one
 * @param eosText the end-of-sequence sentence ({@link org.sonarllm.model.ConceptLMConfig#EOS_TEXT} in converted bundles); at run
 *     time every component uses this text and its embedding, never a literal of its own
 * @param eosEmbedding its embedding, computed with the bundle's encoder (English)
 * @param components component name to its files and properties (see the constants)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BundleManifest(
        String format,
        int formatVersion,
        SonarConfig dimensions,
        SpecialIds specialIds,
        LanguageTable languages,
        String eosText,
        float[] eosEmbedding,
        Map<String, Component> components) {
    /** The value of {@code format}. */
    public static final String FORMAT = "sonarllm-bundle";
    /**
     * The format version this code writes: 2, every model's weights stored once as a safetensors file
     * that the ONNX graphs reference (docs/model-format.md).
     */
    public static final int FORMAT_VERSION = 2;
    /** The format versions this code reads: 1 (weights inside each graph) and 2. */
    public static final List<Integer> READABLE_VERSIONS = List.of(1, 2);
    /** Manifest file name inside the bundle directory. */
    public static final String MANIFEST_FILE = "manifest.json";
    /** Encoder graph: input_ids, attention_mask -> sentence_embedding. */
    public static final String ENCODER = "encoder";
    /** Incremental decoder graph with self-attention KV cache. */
    public static final String DECODER = "decoder";
    /** Per-sentence cross-attention term graph: embedding -> cross [batch, layers, d]. */
    public static final String DECODER_CROSS = "decoder_cross";
    /** Teacher-forcing decoder graph (training import): decoder_input_ids, embedding -> logits. */
    public static final String DECODER_TRAINING = "decoder_training";
    /** Tokenizer files (sentencepiece.bpe.model, languages.txt, tokenizer_config.json). */
    public static final String TOKENIZER = "tokenizer";
    /** Optional concept language model graph(s). */
    public static final String CONCEPT_LM = "concept_lm";
    /**
     * Optional word list ({@value #LEXICON_FILE}, {@link org.sonarllm.decode.Lexicon#read}): when present, the
     * model's generator decodes with it by default, so that generated text has only its words (a small decoder's
     * remedy for non-words; {@code GenerationOptions} without it turn it off).
     */
    public static final String LEXICON = "lexicon";
    /** File name of the {@value #LEXICON} component. */
    public static final String LEXICON_FILE = "lexicon.txt";
    /**
     * Optional integer property of the {@value #CONCEPT_LM} component: the context limit in sentences
     * (at least 2; absent means the runtime's default).
     */
    public static final String CONTEXT_LIMIT = "contextLimit";
    /**
     * Boolean property of the {@value #CONCEPT_LM} component: whether the model was trained with the
     * authors' "Begin of text." sentence before every document ({@code add_begin} of SONAR-LLM's config;
     * {@code generate.py --add_begin_text}), which generation must then put first too. Absent means false.
     */
    public static final String ADD_BEGIN = "addBegin";
    /**
     * Object property of the {@value #CONCEPT_LM} component (format 2): the model's config as {@code
     * ConceptLMConfig.toJson()} writes it (flat Llama config plus {@code sonar_dim}); its weights are the
     * component's {@code .safetensors} file, under the SONAR-LLM key names.
     */
    public static final String CONCEPT_LM_CONFIG = "config";
    /** Copies mutable arguments. */
    public BundleManifest {
        eosEmbedding = eosEmbedding == null ? null : eosEmbedding.clone();
        components = components == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(components));
    }

    @Override
    public float[] eosEmbedding() {
        return eosEmbedding == null ? null : eosEmbedding.clone();
    }

    /**
     * @param name a component name
     * @param c the component (replaces any existing one)
     * @return a copy with that component set
     */
    public BundleManifest withComponent(String name, Component c) {
        Map<String, Component> m = new LinkedHashMap<>(components);
        m.put(name, c);
        return new BundleManifest(format, formatVersion, dimensions, specialIds, languages, eosText, eosEmbedding, m);
    }

    /**
     * @param name a component name
     * @return a copy without that component (unchanged if it has none)
     */
    public BundleManifest withoutComponent(String name) {
        Map<String, Component> m = new LinkedHashMap<>(components);
        m.remove(name);
        return new BundleManifest(format, formatVersion, dimensions, specialIds, languages, eosText, eosEmbedding, m);
    }

    /** @param text eos sentence @param embedding its vector @return a copy with them set */
    public BundleManifest withEos(String text, float[] embedding) {
        return new BundleManifest(format, formatVersion, dimensions, specialIds, languages, text, embedding, components);
    }

    /**
     * @return the {@value #ADD_BEGIN} property of the concept LM: whether generation starts every document
     *     with the authors' "Begin of text." sentence (false when absent or when there is no concept LM)
     */
    public boolean conceptLmAddBegin() {
        Component c = components.get(CONCEPT_LM);
        return c != null && Boolean.TRUE.equals(c.properties().get(ADD_BEGIN));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BundleManifest m && Objects.equals(format, m.format) && formatVersion == m.formatVersion
                && Objects.equals(dimensions, m.dimensions) && Objects.equals(specialIds, m.specialIds)
                && Objects.equals(languages, m.languages) && Objects.equals(eosText, m.eosText)
                && Arrays.equals(eosEmbedding, m.eosEmbedding) && Objects.equals(components, m.components);
    }

    @Override
    public int hashCode() {
        return Objects.hash(format, formatVersion, dimensions, specialIds, languages, eosText, components)
                + Arrays.hashCode(eosEmbedding);
    }

    /**
     * Special token ids (NLLB layout).
     *
     * @param bos {@code <s>} @param pad {@code <pad>} @param eos {@code </s>} @param unk {@code <unk>}
     * @param mask {@code <mask>} (-1 if none)
     */
    public record SpecialIds(int bos, int pad, int eos, int unk, int mask) {}

    /**
     * The language codes in id order: code k has token id {@code firstId + k}.
     *
     * @param firstId id of the first code
     * @param codes FLORES-200 codes
     */
    public record LanguageTable(int firstId, List<String> codes) {
        /** Copies the list. */
        public LanguageTable {
            codes = codes == null ? List.of() : List.copyOf(codes);
        }
    }

    /**
     * One component: its files (the first is the main file, e.g. the graph) and free-form properties
     * such as input/output names or sizes.
     *
     * @param files files relative to the bundle directory, with size and sha256
     * @param properties component-specific values (numbers, strings, lists)
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Component(List<FileEntry> files, Map<String, Object> properties) {
        /** Copies the collections. */
        public Component {
            files = files == null ? List.of() : List.copyOf(files);
            properties = properties == null ? Map.of()
                    : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(properties));
        }

        /** @return the main file's path (the first) */
        public String main() {
            return files.isEmpty() ? null : files.get(0).path();
        }
    }

    /**
     * A file in the bundle.
     *
     * @param path relative path with forward slashes, no {@code ..}
     * @param bytes its size
     * @param sha256 lowercase hex sha256 of its content
     */
    public record FileEntry(String path, long bytes, String sha256) {}
}
