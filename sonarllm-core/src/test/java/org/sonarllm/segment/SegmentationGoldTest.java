package org.sonarllm.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sonarllm.lang.Language;

/**
 * Boundary precision / recall / F1 on the gold set (Austen excerpts + hand-written hard cases).
 * Prints the scores of the default segmenter, the rules alone and OpenNLP alone; the figures are
 * recorded in docs/segmentation.md.
 */
class SegmentationGoldTest {
    private static final List<GoldSet.Passage> GOLD = GoldSet.load();

    @Test
    void goldSetIsLargeEnough() {
        int internal = 0;
        int within = 0;
        for (GoldSet.Passage p : GOLD) {
            internal += p.internal(p.ends()).size();
            within += (int) p.internal(p.ends()).stream().filter(e -> !p.paragraphEnd(e)).count();
        }
        assertTrue(internal >= 150, "internal boundaries: " + internal);
        assertTrue(within >= 150, "within-paragraph boundaries: " + within);
    }

    @Test
    void defaultSegmenterReachesF1() {
        SentenceSegmenter seg = SentenceSegmenters.forLanguage(Language.ENGLISH);
        List<String> errors = new ArrayList<>();
        GoldSet.Score all = GoldSet.score(seg, GOLD, false, errors);
        GoldSet.Score within = GoldSet.score(seg, GOLD, true, null);
        report("default (OpenNLP + rules)", all, within, errors);
        assertTrue(all.f1() >= 0.97, all.toString());
        assertTrue(within.f1() >= 0.97, within.toString());
    }

    @Test
    void comparison() {
        SentenceSegmenter rules = SentenceSegmenters.ruleBased(Language.ENGLISH);
        List<String> errors = new ArrayList<>();
        report("rules alone", GoldSet.score(rules, GOLD, false, errors), GoldSet.score(rules, GOLD, true, null),
                errors);
        SentenceSegmenter onlp = SentenceSegmenters.openNlpOnly(Language.ENGLISH).orElseThrow();
        List<String> onlpErrors = new ArrayList<>();
        GoldSet.Score o = GoldSet.score(onlp, GOLD, false, onlpErrors);
        report("OpenNLP alone", o, GoldSet.score(onlp, GOLD, true, null), onlpErrors);
        // the baseline really is worse: the post-processing layer earns its keep
        assertTrue(o.f1() < GoldSet.score(SentenceSegmenters.forLanguage(Language.ENGLISH), GOLD, false, null).f1());
    }

    @Test
    void scoringIsSane() {
        // a segmenter that returns the gold segmentation scores exactly 1
        SentenceSegmenter oracle = text -> {
            for (GoldSet.Passage p : GOLD) {
                if (p.text().equals(text)) {
                    List<Segment> out = new ArrayList<>();
                    int start = 0;
                    for (int e : p.ends()) {
                        Paragraphs.emit(text, start, e, out);
                        start = e;
                    }
                    Paragraphs.emit(text, start, text.length(), out);
                    return out;
                }
            }
            throw new AssertionError();
        };
        GoldSet.Score s = GoldSet.score(oracle, GOLD, false, null);
        assertEquals(1.0, s.f1(), 1e-12);
        // one segment per passage finds nothing
        GoldSet.Score none = GoldSet.score(text -> List.of(new Segment(text, 0, text.length())), GOLD, false, null);
        assertEquals(0, none.correct());
    }

    @Test
    void austenOnlyAndHardCasesOnly() {
        List<GoldSet.Passage> austen = GOLD.stream().filter(p -> p.source().startsWith("austen")).toList();
        List<GoldSet.Passage> hard = GOLD.stream().filter(p -> p.source().startsWith("hard")).toList();
        SentenceSegmenter seg = SentenceSegmenters.forLanguage(Language.ENGLISH);
        SentenceSegmenter onlp = SentenceSegmenters.openNlpOnly(Language.ENGLISH).orElseThrow();
        GoldSet.Score a = GoldSet.score(seg, austen, false, null);
        System.out.println("[segmentation gold] default, Austen excerpts only: " + a);
        System.out.println("[segmentation gold] default, hard cases only: " + GoldSet.score(seg, hard, false, null));
        System.out.println("[segmentation gold] OpenNLP alone, Austen excerpts only: "
                + GoldSet.score(onlp, austen, false, null));
        System.out.println("[segmentation gold] OpenNLP alone, hard cases only: "
                + GoldSet.score(onlp, hard, false, null));
        assertTrue(a.f1() >= 0.97, a.toString());
        List<GoldSet.Passage> heldOut = GOLD.stream().filter(p -> p.source().contains("heldout")).toList();
        System.out.println("[segmentation gold] default, held-out excerpt (labelled after the rules were written): "
                + GoldSet.score(seg, heldOut, false, null));
        System.out.println("[segmentation gold] OpenNLP alone, held-out excerpt: "
                + GoldSet.score(onlp, heldOut, false, null));
    }

    private static void report(String name, GoldSet.Score all, GoldSet.Score within, List<String> errors) {
        System.out.println("[segmentation gold] " + name + ": all boundaries " + all);
        System.out.println("[segmentation gold] " + name + ": within paragraphs " + within);
        for (String e : errors) {
            System.out.println("[segmentation gold]   " + e);
        }
    }
}
