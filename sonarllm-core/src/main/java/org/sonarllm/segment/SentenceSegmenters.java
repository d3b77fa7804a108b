package org.sonarllm.segment;

import java.util.Optional;
import opennlp.tools.sentdetect.SentenceModel;
import org.sonarllm.InvalidInputException;
import org.sonarllm.lang.Language;

/**
 * Factory of the built-in {@link SentenceSegmenter}s.
 *
 * <pre>{@code
 * SentenceSegmenter seg = SentenceSegmenters.forLanguage(Language.ENGLISH);
 * List<Segment> sentences = seg.segment("Mr. Darcy arrived at 5 p.m. on Jan. 3rd. He left.");
 * // "Mr. Darcy arrived at 5 p.m. on Jan. 3rd." [0, 40) and "He left." [41, 49)
 * }</pre>
 *
 * <p>{@link #forLanguage(Language)} combines rule-based boundary detection (abbreviations,
 * initials, decimals, ellipses, quoted speech, paragraph breaks) with an Apache OpenNLP sentence
 * model when one for the language is on the class path (English ships with sonarllm-core: {@code
 * opennlp-models-sentdetect-en}); otherwise the rules decide alone. See docs/segmentation.md for
 * which languages get what. All segmenters returned are thread-safe and may be shared.
 */
public final class SentenceSegmenters {
    private SentenceSegmenters() {}

    /**
     * @param lang the language of the texts
     * @return the best available segmenter for it
     * @throws org.sonarllm.ModelFormatException if an OpenNLP model on the class path is corrupt
     */
    public static SentenceSegmenter forLanguage(Language lang) {
        if (lang == null) {
            throw new InvalidInputException("language must not be null");
        }
        Optional<SentenceModel> model = OpenNlpModels.sentenceModel(lang);
        return new RefinedSegmenter(Abbreviations.forLanguage(lang), model.orElse(null),
                (model.isPresent() ? "OpenNLP+rules" : "rules") + " segmenter for " + lang.code());
    }

    /**
     * @param lang the language of the texts
     * @return the rule-based segmenter alone (no statistical model)
     */
    public static SentenceSegmenter ruleBased(Language lang) {
        if (lang == null) {
            throw new InvalidInputException("language must not be null");
        }
        return new RefinedSegmenter(Abbreviations.forLanguage(lang), null, "rules segmenter for " + lang.code());
    }

    /**
     * @param lang a language
     * @return whether an OpenNLP sentence model for it is on the class path
     */
    public static boolean hasOpenNlpModel(Language lang) {
        return lang != null && OpenNlpModels.sentenceModel(lang).isPresent();
    }

    /** OpenNLP alone, for comparisons; empty if no model is on the class path. */
    static Optional<SentenceSegmenter> openNlpOnly(Language lang) {
        return OpenNlpModels.sentenceModel(lang).map(OpenNlpSegmenter::new);
    }
}
