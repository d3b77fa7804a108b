package org.sonarllm.generate;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.sonarllm.ModelFormatException;

/**
 * A model's own generation defaults, read from the properties of a bundle's {@code concept_lm}
 * component (docs/generation.md, "Model defaults"): {@value #ADD_BEGIN} (boolean, the authors'
 * {@code add_begin}, recorded by the converter) and {@value #GENERATION}, an object whose keys
 * override {@link StopRules#paper()}:
 *
 * <pre>{@code
 * "concept_lm": {"files": [...], "properties": {
 *     "addBegin": false,
 *     "generation": {"repetition": "drop_and_stop", "repetitionThreshold": 0.9, "repetitionOverlap": 0.5,
 *                    "eosTest": "reencoded", "eosThreshold": 0.98, "minSentences": 0, "maxSentences": 32}}}
 * }</pre>
 *
 * Every key is optional; unknown keys, wrong types and values outside their ranges are {@link
 * ModelFormatException}s. A converter or trainer writes the object with {@link #properties(StopRules)}.
 *
 * <pre>{@code
 * GenerationOptions o = ModelDefaults.apply(GenerationOptions.defaults(), component.properties(), "bundle/");
 * }</pre>
 */
public final class ModelDefaults {
    /** Property: whether the model expects {@value GenerationOptions#BEGIN_TEXT} before the prompt. */
    public static final String ADD_BEGIN = org.sonarllm.bundle.BundleManifest.ADD_BEGIN;
    /** Property: the stop rules object. */
    public static final String GENERATION = "generation";

    private static final Set<String> KEYS = Set.of("eosTest", "eosThreshold", "repetition", "repetitionThreshold",
            "repetitionOverlap", "minSentences", "maxSentences");

    private ModelDefaults() {}

    /**
     * @param base the options to start from (their stop criterion is replaced when it is not a {@link
     *     StopRules} and the properties give stop rules)
     * @param properties the {@code concept_lm} component's properties
     * @param where the bundle, for error messages
     * @return {@code base} with the model's defaults applied
     * @throws ModelFormatException for a malformed property
     */
    public static GenerationOptions apply(GenerationOptions base, Map<String, Object> properties, String where) {
        GenerationOptions.Builder b = base.toBuilder();
        Object begin = properties.get(ADD_BEGIN);
        if (begin != null) {
            if (!(begin instanceof Boolean on)) {
                throw new ModelFormatException(where + ": expected concept_lm property " + ADD_BEGIN
                        + " to be true or false, found " + begin);
            }
            b.addBegin(on);
        }
        Object gen = properties.get(GENERATION);
        if (gen != null) {
            if (!(gen instanceof Map<?, ?> m)) {
                throw new ModelFormatException(where + ": expected concept_lm property " + GENERATION
                        + " to be an object, found " + gen);
            }
            StopRules rules = base.stopCriterion() instanceof StopRules r ? r : StopRules.paper();
            b.stopCriterion(rules(rules, m, where));
        }
        return b.build();
    }

    private static StopRules rules(StopRules r, Map<?, ?> m, String where) {
        for (Object k : m.keySet()) {
            if (!KEYS.contains(k)) {
                throw new ModelFormatException(where + ": expected " + GENERATION + " keys among " + KEYS.stream().sorted()
                        .toList() + ", found " + k);
            }
        }
        try {
            return new StopRules(
                    m.containsKey("eosTest") ? enumValue(StopRules.EosTest.class, m.get("eosTest"), "eosTest", where)
                            : r.eosTest(),
                    m.containsKey("eosThreshold") ? number(m.get("eosThreshold"), "eosThreshold", where) : r.eosThreshold(),
                    m.containsKey("repetition")
                            ? enumValue(StopRules.RepetitionAction.class, m.get("repetition"), "repetition", where)
                            : r.repetition(),
                    m.containsKey("repetitionThreshold") ? number(m.get("repetitionThreshold"), "repetitionThreshold", where)
                            : r.repetitionThreshold(),
                    m.containsKey("repetitionOverlap") ? number(m.get("repetitionOverlap"), "repetitionOverlap", where)
                            : r.repetitionOverlap(),
                    m.containsKey("minSentences") ? integer(m.get("minSentences"), "minSentences", where) : r.minSentences(),
                    m.containsKey("maxSentences") ? integer(m.get("maxSentences"), "maxSentences", where) : r.maxSentences());
        } catch (org.sonarllm.InvalidInputException e) {
            throw new ModelFormatException(where + ": concept_lm property " + GENERATION + ": " + e.getMessage(), e);
        }
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, Object v, String key, String where) {
        if (v instanceof String s) {
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(s)) {
                    return e;
                }
            }
        }
        throw new ModelFormatException(where + ": expected " + GENERATION + "." + key + " to be one of "
                + names(type) + ", found " + v);
    }

    private static double number(Object v, String key, String where) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw new ModelFormatException(where + ": expected " + GENERATION + "." + key + " to be a number, found " + v);
    }

    private static int integer(Object v, String key, String where) {
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) < 1e9) {
            return n.intValue();
        }
        throw new ModelFormatException(where + ": expected " + GENERATION + "." + key + " to be an integer, found " + v);
    }

    private static String names(Class<? extends Enum<?>> type) {
        StringBuilder sb = new StringBuilder();
        for (Enum<?> e : type.getEnumConstants()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(e.name().toLowerCase(Locale.ROOT));
        }
        return "[" + sb + "]";
    }

    /**
     * @param rules stop rules to record as a model's defaults
     * @return the {@value #GENERATION} property's value (JSON-ready: strings and numbers; {@code repetitionOverlap}
     *     only when its test is on)
     */
    public static Map<String, Object> properties(StopRules rules) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("eosTest", rules.eosTest().name().toLowerCase(Locale.ROOT));
        m.put("eosThreshold", rules.eosThreshold());
        m.put("repetition", rules.repetition().name().toLowerCase(Locale.ROOT));
        m.put("repetitionThreshold", rules.repetitionThreshold());
        if (rules.repetitionOverlap() < StopCriterion.NO_OVERLAP_TEST) {
            m.put("repetitionOverlap", rules.repetitionOverlap()); // absent = off, so older readers keep reading the rest
        }
        m.put("minSentences", rules.minSentences());
        m.put("maxSentences", rules.maxSentences());
        return m;
    }
}
