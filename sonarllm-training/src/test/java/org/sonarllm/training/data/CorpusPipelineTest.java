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

    private CorpusPipeline pipeline(CountingEncoder enc, SonarTokenizer tok, CorpusPipeline.Options o) {
        return new CorpusPipeline(SEG, enc, CorpusPipeline.tokens(tok, Language.ENGLISH), "tiny-a", o, tmp.resolve("cache"));
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
            CorpusPipeline.Options o = new CorpusPipeline.Options(4, 20, 0, 1, 2, 2, "End of sequence.", Language.ENGLISH);
            List<Integer> progress = new ArrayList<>();
            Dataset ds = pipeline(enc, tok, o).load(raw, (done, total) -> progress.add(done));
            assertEquals(List.of(2, 4, 5), progress);
            assertEquals(5, ds.train().size());
            assertEquals(0, ds.validation().size());
            Batch.Document first = ds.train().get(0);
            assertEquals(4, first.embeddings().length); // 3 sentences kept + end of sequence
            int[] eosWant = TinyA.ints(TinyA.expected().get("a_tokenization").get("cases").get(6).get("decoder_target_ids"));
            assertArrayEquals(java.util.Arrays.copyOf(eosWant, eosWant.length - 1), first.tokens()[3]);
            assertEquals("End of sequence.".length(), first.embeddings()[3][0]);
            assertEquals(2, ds.train().get(1).embeddings().length); // "Alone." + end of sequence
            Batch.Document longDoc = ds.train().get(2);
            assertEquals(18, longDoc.tokens()[0].length); // cut to decoderLimit - 2
            int encoded = enc.sentences.get();
            assertEquals(3 + 1 + 2 + 2 + 2 + 1, encoded); // kept sentences + the EOS sentence once

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
    void splitIsReproducibleAndOrderIndependent() throws IOException {
        List<CorpusReader.RawDocument> raw = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            raw.add(new CorpusReader.RawDocument("d" + i, "Doc " + i + " first. Second " + i + ".", null));
        }
        try (SonarTokenizer tok = SonarTokenizer.load(TinyA.dir().resolve("tokenizer"))) {
            CorpusPipeline.Options o = new CorpusPipeline.Options(32, 64, 0.3, 7, 8, 16, "End of sequence.", Language.ENGLISH);
            Dataset a = pipeline(new CountingEncoder(), tok, o).load(raw, (d, t) -> {});
            List<CorpusReader.RawDocument> rev = new ArrayList<>(raw);
            java.util.Collections.reverse(rev);
            Dataset b = pipeline(new CountingEncoder(), tok, o).load(rev, (d, t) -> {});
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
            CorpusPipeline p = pipeline(new CountingEncoder(), tok, CorpusPipeline.Options.defaults(128));
            e = assertThrows(InvalidInputException.class, () -> p.load(CorpusReader.read(empty), (d, t) -> {}));
            assertTrue(e.getMessage().contains("empty corpus"), e.getMessage());
        }
    }
}
