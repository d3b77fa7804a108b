package org.sonarllm.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;
import org.sonarllm.lang.Language;

class SentenceSegmentersTest {
    private final SentenceSegmenter en = SentenceSegmenters.forLanguage(Language.ENGLISH);

    private static List<String> texts(List<Segment> segs) {
        return segs.stream().map(Segment::text).toList();
    }

    @Test
    void javadocExampleWithOffsets() {
        String text = "Mr. Darcy arrived at 5 p.m. on Jan. 3rd. He left.";
        List<Segment> segs = en.segment(text);
        assertEquals(List.of(new Segment("Mr. Darcy arrived at 5 p.m. on Jan. 3rd.", 0, 40),
                new Segment("He left.", 41, 49)), segs);
    }

    @Test
    void hardCases() {
        assertEquals(List.of("J. R. R. Tolkien wrote it.", "It cost 3.14 dollars, e.g. a lot, i.e. too much."),
                texts(en.segment("J. R. R. Tolkien wrote it. It cost 3.14 dollars, e.g. a lot, i.e. too much.")));
        assertEquals(List.of("Wait... what happened?", "I don't know...", "She left."),
                texts(en.segment("Wait... what happened? I don't know... She left.")));
        assertEquals(List.of("\"Stop!\" cried he.", "\"I cannot,\" said she.", "\"Why not?\"", "He shrugged."),
                texts(en.segment("\"Stop!\" cried he. \"I cannot,\" said she. \"Why not?\" He shrugged.")));
        assertEquals(List.of("required indulgence afterwards.--", "She had humoured him."),
                texts(en.segment("required indulgence afterwards.--She had humoured him.")));
    }

    @Test
    void paragraphsAndHardWrappedLines() {
        String text = "Chapter 1\n\n\nIt is a truth\nuniversally acknowledged.\r\n\r\nNext para";
        List<Segment> segs = en.segment(text);
        assertEquals(List.of("Chapter 1", "It is a truth\nuniversally acknowledged.", "Next para"), texts(segs));
        assertEquals(12, segs.get(1).start());
    }

    @Test
    void nullRejectedBlankEmpty() {
        assertThrows(InvalidInputException.class, () -> en.segment(null));
        assertThrows(InvalidInputException.class, () -> SentenceSegmenters.ruleBased(Language.ENGLISH).segment(null));
        assertThrows(InvalidInputException.class, () -> SentenceSegmenters.forLanguage(null));
        assertTrue(en.segment("").isEmpty());
        assertTrue(en.segment(" \n\t\u00A0\u3000 ").isEmpty());
    }

    @Test
    void englishUsesOpenNlpOthersFallBackToRules() {
        assertTrue(SentenceSegmenters.hasOpenNlpModel(Language.ENGLISH));
        assertFalse(SentenceSegmenters.hasOpenNlpModel(Language.of("zho_Hans")));
        assertEquals("OpenNLP+rules segmenter for eng_Latn", en.toString());
        assertEquals("rules segmenter for zho_Hans", SentenceSegmenters.forLanguage(Language.of("zho_Hans")).toString());
    }

    @Test
    void otherScripts() {
        SentenceSegmenter zh = SentenceSegmenters.forLanguage(Language.of("zho_Hans"));
        assertEquals(List.of("你好。", "我很好！", "谢谢。"), texts(zh.segment("你好。我很好！谢谢。")));
        SentenceSegmenter hi = SentenceSegmenters.forLanguage(Language.of("hin_Deva"));
        assertEquals(List.of("मैं घर जा रहा हूँ।", "तुम कहाँ हो?"), texts(hi.segment("मैं घर जा रहा हूँ। तुम कहाँ हो?")));
        SentenceSegmenter de = SentenceSegmenters.forLanguage(Language.of("deu_Latn"));
        assertEquals(List.of("Dr. Müller kam z.B. um 5 Uhr.", "Er ging."),
                texts(de.segment("Dr. Müller kam z.B. um 5 Uhr. Er ging.")));
    }

    @Test
    void threadSafe() throws Exception {
        List<GoldSet.Passage> gold = GoldSet.load();
        List<List<Segment>> expected = new ArrayList<>();
        for (GoldSet.Passage p : gold) {
            expected.add(en.segment(p.text()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Callable<Integer>> jobs = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                int seed = t;
                jobs.add(() -> {
                    int n = 0;
                    for (int i = 0; i < 60; i++) {
                        int k = (i * 7 + seed) % gold.size();
                        if (!expected.get(k).equals(en.segment(gold.get(k).text()))) {
                            throw new AssertionError("different result under concurrency for " + gold.get(k).source());
                        }
                        n++;
                    }
                    return n;
                });
            }
            int total = 0;
            for (Future<Integer> f : pool.invokeAll(jobs)) {
                total += f.get();
            }
            assertEquals(360, total);
        } finally {
            pool.shutdownNow();
        }
    }
}
