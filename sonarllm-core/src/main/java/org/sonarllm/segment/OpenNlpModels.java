package org.sonarllm.segment;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.Enumeration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import opennlp.tools.sentdetect.SentenceModel;
import org.sonarllm.ModelFormatException;
import org.sonarllm.lang.Language;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds OpenNLP sentence models on the class path. Apache's model jars ({@code
 * org.apache.opennlp:opennlp-models-sentdetect-<lang>}) each hold a {@code model.properties} at the
 * jar root naming the model file and its ISO 639-1 language; every such file on the class path is
 * considered. Models are loaded once per JVM and shared: {@link SentenceModel} is immutable and
 * thread-safe (the detectors built from it are not).
 */
final class OpenNlpModels {
    private static final Logger LOG = LoggerFactory.getLogger(OpenNlpModels.class);

    /** FLORES-200 code to the ISO 639-1 code of the OpenNLP 1.3 UD sentence models. */
    static final Map<String, String> ISO1 = Map.ofEntries(
            Map.entry("eng_Latn", "en"), Map.entry("deu_Latn", "de"), Map.entry("fra_Latn", "fr"),
            Map.entry("ita_Latn", "it"), Map.entry("nld_Latn", "nl"), Map.entry("por_Latn", "pt"),
            Map.entry("spa_Latn", "es"), Map.entry("cat_Latn", "ca"), Map.entry("ces_Latn", "cs"),
            Map.entry("slk_Latn", "sk"), Map.entry("slv_Latn", "sl"), Map.entry("hrv_Latn", "hr"),
            Map.entry("bul_Cyrl", "bg"), Map.entry("rus_Cyrl", "ru"), Map.entry("ukr_Cyrl", "uk"),
            Map.entry("pol_Latn", "pl"), Map.entry("ell_Grek", "el"), Map.entry("dan_Latn", "da"),
            Map.entry("swe_Latn", "sv"), Map.entry("nob_Latn", "no"), Map.entry("fin_Latn", "fi"),
            Map.entry("est_Latn", "et"), Map.entry("lvs_Latn", "lv"), Map.entry("eus_Latn", "eu"),
            Map.entry("hye_Armn", "hy"), Map.entry("isl_Latn", "is"), Map.entry("kat_Geor", "ka"),
            Map.entry("kaz_Cyrl", "kk"), Map.entry("kor_Hang", "ko"), Map.entry("ron_Latn", "ro"),
            Map.entry("tur_Latn", "tr"));

    private static final Map<String, Optional<SentenceModel>> CACHE = new ConcurrentHashMap<>();

    private OpenNlpModels() {}

    /** @return the class path's OpenNLP sentence model for the language, if there is one */
    static Optional<SentenceModel> sentenceModel(Language lang) {
        String iso1 = ISO1.get(lang.code());
        if (iso1 == null) {
            return Optional.empty();
        }
        return CACHE.computeIfAbsent(iso1, OpenNlpModels::find);
    }

    private static Optional<SentenceModel> find(String iso1) {
        ClassLoader loader = OpenNlpModels.class.getClassLoader();
        Enumeration<URL> props;
        try {
            props = loader.getResources("model.properties");
        } catch (IOException e) {
            LOG.warn("cannot list OpenNLP model.properties on the class path: {}", e.toString());
            return Optional.empty();
        }
        while (props.hasMoreElements()) {
            URL url = props.nextElement();
            Properties p = new Properties();
            try (InputStream in = url.openStream()) {
                p.load(in);
            } catch (IOException e) {
                LOG.warn("skipping unreadable {}: {}", url, e.toString());
                continue;
            }
            String name = p.getProperty("model.name", "");
            if (!iso1.equals(p.getProperty("model.language")) || !name.contains("-sentence-")) {
                continue;
            }
            URL model;
            try {
                model = new URL(url, name);
            } catch (IOException e) {
                continue;
            }
            try {
                SentenceModel m = new SentenceModel(model);
                LOG.debug("OpenNLP sentence model for {}: {}", iso1, model);
                return Optional.of(m);
            } catch (IOException | RuntimeException e) {
                throw new ModelFormatException("corrupt OpenNLP sentence model " + model + ": " + e.getMessage(), e);
            }
        }
        return Optional.empty();
    }
}
