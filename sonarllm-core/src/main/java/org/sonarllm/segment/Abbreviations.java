package org.sonarllm.segment;

import java.util.Set;
import org.sonarllm.lang.Language;

/**
 * Abbreviation lists the boundary rules consult. Words are stored lower-case without their final
 * period ("e.g" for "e.g."). English has full lists; other languages get a small set of
 * abbreviations shared by most Latin-script languages, and rely on the case rules.
 */
final class Abbreviations {
    /** Never end a sentence: titles before a name and Latin "for example" style abbreviations. */
    final Set<String> neverFinal;
    /** Usually inside a sentence, but may end one: a boundary only when an upper-case word follows. */
    final Set<String> maybeFinal;
    /** Followed by a number they never end a sentence ("No. 5", "p. 12", "Jan. 3rd"). */
    final Set<String> beforeNumber;
    /** Matched only when capitalised as written (they are also ordinary words: "Sun.", "Sat.", "Mar."). */
    final Set<String> capitalisedOnly;

    /** Verbs of a dialogue tag after a quotation ("Stop!" Elizabeth cried.); empty outside English. */
    final Set<String> speechVerbs;

    private Abbreviations(Set<String> neverFinal, Set<String> maybeFinal, Set<String> beforeNumber,
            Set<String> capitalisedOnly, Set<String> speechVerbs) {
        this.speechVerbs = speechVerbs;
        this.neverFinal = neverFinal;
        this.maybeFinal = maybeFinal;
        this.beforeNumber = beforeNumber;
        this.capitalisedOnly = capitalisedOnly;
    }

    private static final Set<String> MONTHS = Set.of("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
            "oct", "nov", "dec");

    static final Abbreviations ENGLISH = new Abbreviations(
            Set.of("mr", "mrs", "ms", "messrs", "mme", "mmes", "mlle", "dr", "drs", "prof", "rev", "revd", "hon",
                    "st", "ste", "capt", "col", "gen", "lt", "maj", "sgt", "cmdr", "adm", "gov", "sen", "rep", "supt",
                    "insp", "fr", "mt", "ft", "e.g", "i.e", "cf", "viz", "vs", "approx", "ca", "w.r.t"),
            union(MONTHS, Set.of("etc", "esq", "jr", "sr", "co", "corp", "inc", "ltd", "bros", "a.m", "p.m",
                    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "al", "ed",
                    "eds", "dept", "univ", "assn", "ave", "blvd", "rd")),
            union(MONTHS, Set.of("no", "nos", "p", "pp", "vol", "vols", "ch", "chap", "fig", "figs", "art", "sec",
                    "sect", "para", "eq", "op", "tel", "approx", "ca", "c", "ed", "vs")),
            Set.of("mar", "sat", "sun", "mon", "wed", "no", "art", "sec", "al", "co", "rep", "sen", "gen",
                    "col", "op", "ave", "rd"),
            Set.of("said", "cried", "replied", "returned", "answered", "asked", "exclaimed", "continued", "added",
                    "observed", "whispered", "rejoined", "resumed", "repeated", "called", "shouted", "remarked",
                    "inquired", "enquired", "muttered", "interrupted", "declared", "began", "says", "cries",
                    "replies", "asks", "thought", "murmured", "sighed", "laughed", "protested", "insisted",
                    "persisted", "pursued", "smiled", "explained", "urged"));

    static final Abbreviations GENERIC = new Abbreviations(
            Set.of("dr", "prof", "st", "e.g", "i.e", "z.b", "u.a", "d.h", "vs", "cf", "nr", "sr", "sra", "mme",
                    "mlle", "hr", "fr"),
            Set.of("etc", "usw", "bzw", "ca", "jr", "inc", "ltd", "co"),
            Set.of("no", "nr", "n", "p", "pp", "s", "vol", "art", "ch", "fig"),
            Set.of("no", "art", "co", "hr", "fr", "s", "n", "sr", "ch"),
            Set.of());

    static Abbreviations forLanguage(Language lang) {
        return lang.iso639_3().equals("eng") ? ENGLISH : GENERIC;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        java.util.HashSet<String> u = new java.util.HashSet<>(a);
        u.addAll(b);
        return Set.copyOf(u);
    }

    /**
     * @param word the word before the period as written ("Mr", "e.g", "Sun")
     * @param set one of this object's sets
     * @return whether the word is in the set, honouring {@link #capitalisedOnly}
     */
    boolean contains(Set<String> set, String word) {
        String lower = word.toLowerCase(java.util.Locale.ROOT);
        if (!set.contains(lower)) {
            return false;
        }
        if (capitalisedOnly.contains(lower)) {
            return !word.isEmpty() && Character.isUpperCase(word.codePointAt(0));
        }
        return true;
    }
}
