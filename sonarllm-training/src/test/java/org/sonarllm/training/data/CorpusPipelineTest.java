package org.sonarllm.training.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.InvalidInputException;
import org.sonarllm.encode.ConceptEncoder;
import org.sonarllm.lang.Language;
import org.sonarllm.segment.Segment;
import org.sonarllm.segment.SentenceSegmenter;
import org.sonarllm.testing.TinyA;
import org.sonarllm.tokenize.SonarTokenizer;
import org.sonarllm.training.EmptyCorpusException;
import org.sonarllm.training.model.Batch;

class CorpusPipelineTest {
    @TempDir
    Path tmp;

    /** Splits after ". " (enough for these tests; the real segmenter is tested in core). */
    static final SentenceSegmenter SEG = text -> {
        List<Segment> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '.' && (i + 1 == text.length() || text.charAt(i + 1) == ' ')) {
                out.add(new Segment(text.substring(start, i + 1), start, i + 1));
                start = i + 2;
            }
        }
        if (start < text.length()) {
            out.add(new Segment(text.substring(start), start, text.length()));
        }
        return out;
    };

    /** Embedding = [length, first char, calls]; counts encoded sentences. */
    static final class CountingEncoder implements ConceptEncoder {
        final AtomicInteger sentences = new AtomicInteger();

        @Override
        public int dimension() {
            return 3;
        }

        @Override
        public List<float[]> encode(List<String> s, Language language) {
            List<float[]> out = new ArrayList<>();
            for (String x : s) {
                sentences.incrementAndGet();
                out.add(new float[] {x.length(), x.charAt(0), x.hashCode() % 97});
            }
            return out;
        }

        @Override
        public void close() {}
    }

    /** An end-of-sequence sentence whose embedding no encoder call produces. */
    static final float[] EOS_VECTOR = {-7, -8, -9};

    private CorpusPipeline pipeline(CountingEncoder enc, SonarTokenizer tok, CorpusPipeline.Options o, Language lang,
            int decoderLimit) {
        DocumentEncoder de = new DocumentEncoder(enc, DocumentEncoder.tokens(tok, lang),
                EndOfSequence.of("End of sequence.", EOS_VECTOR, tok), lang, decoderLimit, 2);
        return new CorpusPipeline(SEG, de, "tiny-a", o, tmp.resolve("cache"));
    }

    private CorpusPipeline pipeline(CountingEncoder enc, SonarTokenizer tok, CorpusPipeline.Options o) {
        return pipeline(enc, tok, o, Language.ENGLISH, 20);
    }

    @Test
    void documentsGetEndOfSequenceTruncationAndACacheThatSkipsReEncoding() throws IOException {
        Path corpus = Files.createDirectories(tmp.resolve("corpus"));
        String longSentence = "word ".repeat(60).strip() + ".";
        Files.writeString(corpus.resolve("a.txt"), "One. Two. Three. Four. Five.\n\nAlone.\n\n  \n\n" + longSentence + " Short.");
        Files.writeString(corpus.resolve("b.jsonl"), "{\"sentences\": [\"Given one.\", \"Given two.\"]}\n\n{\"sentences\": []}\n{\"text\": \"Json text. Second.\"}\n");
        Files.writeString(corpus.resolve("ignored.bin"), "x");
        List<CorpusReader.RawDocument> raw = CorpusReader.read(corpus);
        assertEquals(6, raw.size());
        try (SonarTokenizer tok = SonarTokenizer.load(TinyA.dir().resolve("tokenizer"))) {
            CountingEncoder enc = new CountingEncoder();
            CorpusPipeline.Options o = new CorpusPipeline.Options(4, 0, 1, 2);
            List<Integer> progress = new ArrayList<>();
            Dataset ds = pipeline(enc, tok, o).load(raw, (done, total) -> progress.add(done));
            assertEquals(List.of(2, 4, 5), progress);
            assertEquals(5, ds.train().size());
            assertEquals(0, ds.validation().size());
            Batch.Document first = ds.train().get(0);
            assertEquals(4, first.embeddings().length); // 3 sentences kept + end of sequence
            int[] eosWant = TinyA.ints(TinyA.expected().get("a_tokenization").get("cases").get(6).get("decoder_target_ids"));
            assertArrayEquals(java.util.Arrays.copyOf(eosWant, eosWant.length - 1), first.tokens()[3]);
            assertArrayEquals(EOS_VECTOR, first.embeddings()[3], 0f); // the bundle's vector, never re-encoded
            assertEquals(2, ds.train().get(1).embeddings().length); // "Alone." + end of sequence
            Batch.Document longDoc = ds.train().get(2);
            assertEquals(18, longDoc.tokens()[0].length); // cut to decoderLimit - 2
            int encoded = enc.sentences.get();
            assertEquals(3 + 1 + 2 + 2 + 2, encoded); // the kept sentences only

            CorpusPipeline again = pipeline(enc, tok, o);
            Dataset ds2 = again.load(CorpusReader.read(corpus), (d, t) -> {});
            assertEquals(encoded, enc.sentences.get());
            assertEquals(3, again.stats().cachedShards());
            assertEquals(1, again.stats().truncated());
            assertEquals(1, again.stats().skipped());
            for (int i = 0; i < ds.train().size(); i++) {
                assertArrayEquals(ds.train().get(i).embeddings(), ds2.train().get(i).embeddings());
            }
        }
    }

    @Test
    void aNonEnglishCorpusKeepsTheEnglishEndOfSequenceTarget() throws IOException {
        Path corpus = Files.createDirectories(tmp.resolve("fr"));
        Files.writeString(corpus.resolve("a.txt"), "Il pleut. Nous restons.");
        Language fra = Language.of("fra_Latn");
        try (SonarTokenizer tok = SonarTokenizer.load(TinyA.dir().resolve("tokenizer"))) {
            Dataset ds = pipeline(new CountingEncoder(), tok, new CorpusPipeline.Options(8, 0, 1, 4), fra, 64)
                    .load(CorpusReader.read(corpus), (d, t) -> {});
            Batch.Document doc = ds.train().get(0);
            assertEquals(3, doc.tokens().length);
            assertEquals(tok.languageId(fra), doc.tokens()[0][0]);
            int[] english = tok.decoderTarget("End of sequence.", Language.ENGLISH);
            assertEquals(tok.languageId(Language.ENGLISH), english[0]);
            assertArrayEquals(java.util.Arrays.copyOf(english, english.length - 1), doc.tokens()[2]);
            assertArrayEquals(EOS_VECTOR, doc.embeddings()[2], 0f);
        }
    }

    @Test
    void booksLoseHeadingsTitlesAndLineBreaks() throws IOException {
        Path f = Files.writeString(tmp.resolve("book.txt"), "PERSUASION\n\nChapter 1\n\nSir Walter Elliot, of\nKellynch "
                + "Hall, was a man.  He read.\n\nVOLUME II.\n\nAlone.\n\nTwo words.\n");
        List<CorpusReader.RawDocument> docs = CorpusReader.readBooks(f);
        assertEquals(List.of("Sir Walter Elliot, of Kellynch Hall, was a man. He read.", "Two words."),
                docs.stream().map(CorpusReader.RawDocument::text).toList());
        assertEquals(List.of("Sir Walter Elliot, of Kellynch Hall, was a man.", "He read."), docs.get(0).split(SEG));
        assertEquals(6, CorpusReader.read(f).size(), "read() keeps every block as it is");
    }

    @Test
    void splitIsReproducibleAndOrderIndependent() throws IOException {
        List<CorpusReader.RawDocument> raw = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            raw.add(new CorpusReader.RawDocument("d" + i, "Doc " + i + " first. Second " + i + ".", null));
        }
        try (SonarTokenizer tok = SonarTokenizer.load(TinyA.dir().resolve("tokenizer"))) {
            CorpusPipeline.Options o = new CorpusPipeline.Options(32, 0.3, 7, 16);
            Dataset a = pipeline(new CountingEncoder(), tok, o, Language.ENGLISH, 64).load(raw, (d, t) -> {});
            List<CorpusReader.RawDocument> rev = new ArrayList<>(raw);
            java.util.Collections.reverse(rev);
            Dataset b = pipeline(new CountingEncoder(), tok, o, Language.ENGLISH, 64).load(rev, (d, t) -> {});
            assertTrue(a.validation().size() > 3 && a.train().size() > 15, a.validation().size() + " validation");
            assertEquals(a.validation().size(), b.validation().size());
            List<Float> va = a.validation().stream().map(d -> d.embeddings()[0][2]).sorted().toList();
            List<Float> vb = b.validation().stream().map(d -> d.embeddings()[0][2]).sorted().toList();
            assertEquals(va, vb);
        }
    }

    @Test
    void badCorporaGiveClearErrors() throws IOException {
        Path bad = tmp.resolve("latin1.txt");
        Files.write(bad, "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> CorpusReader.read(bad));
        assertTrue(e.getMessage().startsWith("expected UTF-8 text in"), e.getMessage());
        Path json = tmp.resolve("x.jsonl");
        Files.writeString(json, "{\"text\": \"ok.\"}\n{broken\n");
        e = assertThrows(InvalidInputException.class, () -> CorpusReader.read(json));
        assertTrue(e.getMessage().contains("x.jsonl:2"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> CorpusReader.read(tmp.resolve("missing")));
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Files.writeString(empty.resolve("blank.txt"), "\n\n   \n");
        try (SonarTokenizer tok = SonarTokenizer.load(TinyA.dir().resolve("tokenizer"))) {
            CorpusPipeline p = pipeline(new CountingEncoder(), tok, CorpusPipeline.Options.defaults(), Language.ENGLISH, 128);
            e = assertThrows(EmptyCorpusException.class, () -> p.load(CorpusReader.read(empty), (d, t) -> {}));
            assertEquals("empty corpus: expected at least one training document, found none with a sentence in 0 "
                    + "documents read", e.getMessage());
        }
    }
}
