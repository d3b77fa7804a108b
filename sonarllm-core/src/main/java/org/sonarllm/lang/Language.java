package org.sonarllm.lang;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One of the 202 FLORES-200 language codes that NLLB and SONAR use ({@code eng_Latn}, {@code
 * fra_Latn}, ...). {@link #index()} is the position in the NLLB tokenizer's language list, which
 * fixes the language token id: {@code id = spmPieces + 1 + index}.
 *
 * <pre>{@code
 * Language en = Language.of("eng_Latn");
 * Language fr = Language.of("fra_Latn");
 * Language.of("english"); // UnknownLanguageException: ... did you mean eng_Latn?
 * }</pre>
 *
 * <p>Instances are interned: {@code Language.of("eng_Latn") == Language.ENGLISH}. Thread-safe.
 */
public final class Language implements Comparable<Language> {
    private static final List<Language> ALL;
    private static final Map<String, Language> BY_CODE;

    static {
        List<Language> all = new ArrayList<>();
        try (InputStream in = Language.class.getResourceAsStream("flores200.txt")) {
            if (in == null) {
                throw new IllegalStateException("missing resource org/sonarllm/lang/flores200.txt");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                line = line.strip();
                if (!line.isEmpty()) {
                    all.add(new Language(line, all.size()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ALL = Collections.unmodifiableList(all);
        Map<String, Language> byCode = new HashMap<>();
        for (Language l : all) {
            byCode.put(l.code, l);
        }
        BY_CODE = Collections.unmodifiableMap(byCode);
    }

    /** English in Latin script, {@code eng_Latn}: the default language everywhere. */
    public static final Language ENGLISH = of("eng_Latn");

    private final String code;
    private final int index;

    private Language(String code, int index) {
        this.code = code;
        this.index = index;
    }

    /**
     * Looks a code up.
     *
     * @param code a FLORES-200 code such as {@code eng_Latn}; case-sensitive as NLLB spells them
     * @return the language
     * @throws UnknownLanguageException if the code is not one of the 202, naming close valid codes
     */
    public static Language of(String code) {
        if (code == null || code.isBlank()) {
            throw new UnknownLanguageException("language code must not be empty", List.of());
        }
        Language l = BY_CODE.get(code.strip());
        if (l != null) {
            return l;
        }
        List<String> near = closest(code.strip(), 3);
        throw new UnknownLanguageException(
                "unknown language code '" + code + "'"
                        + (near.isEmpty() ? "" : "; did you mean " + String.join(", ", near) + "?"),
                near);
    }

    /** @return all 202 languages in tokenizer order */
    public static List<Language> all() {
        return ALL;
    }

    /** @return the FLORES-200 code, e.g. {@code eng_Latn} */
    public String code() {
        return code;
    }

    /** @return the position in the NLLB language list (0-based), which fixes the token id */
    public int index() {
        return index;
    }

    /** @return the ISO 639-3 part of the code, e.g. {@code eng} */
    public String iso639_3() {
        return code.substring(0, code.indexOf('_'));
    }

    /** @return the ISO 15924 script part of the code, e.g. {@code Latn} */
    public String script() {
        return code.substring(code.indexOf('_') + 1);
    }

    @Override
    public int compareTo(Language o) {
        return Integer.compare(index, o.index);
    }

    @Override
    public String toString() {
        return code;
    }

    private static List<String> closest(String query, int n) {
        String q = query.toLowerCase(Locale.ROOT);
        return ALL.stream()
                .sorted(Comparator.comparingInt((Language l) -> score(q, l.code.toLowerCase(Locale.ROOT)))
                        .thenComparingInt(l -> l.index))
                .limit(n)
                .map(Language::code)
                .toList();
    }

    /** Lower is closer: edit distance, with a bonus when the query is a prefix of the code or its language part. */
    private static int score(String q, String code) {
        int d = editDistance(q, code);
        if (code.startsWith(q) || q.startsWith(code.substring(0, 3))) {
            d -= 10;
        }
        return d;
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Language other && other.code.equals(code);
    }

    @Override
    public int hashCode() {
        return Objects.hash(code);
    }
}
