package org.sonarllm.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.InvalidInputException;
import org.sonarllm.training.data.CorpusReader;

/**
 * Reading a file in byte ranges gives exactly the documents the single-JVM corpus reader finds in
 * the whole file, with the same {@code file:line} ids whatever the split size (random files with
 * blank, white-space-only, CRLF and multi-byte lines; every split size from 1 byte up).
 */
class LineDocumentsTest {
    @TempDir
    Path tmp;

    private final Configuration conf = new Configuration();

    private List<RawDocument> readAll(Path file, long splitSize) throws IOException {
        List<InputUnit> units = CorpusFiles.plan(conf, file.toString(), splitSize, "text");
        long[] lines = new long[units.size()];
        for (int i = 0; i < units.size(); i++) {
            if (CorpusFiles.needsLineCount(units, i)) {
                lines[i] = CorpusFiles.countLines(units.get(i), conf);
            }
        }
        List<RawDocument> out = new ArrayList<>();
        for (InputUnit u : CorpusFiles.numberLines(units, lines)) {
            try (CorpusFiles.Documents d = CorpusFiles.open(u, "text", conf)) {
                d.forEachRemaining(out::add);
            }
        }
        return out;
    }

    private static String randomText(Random r) {
        String[] pieces = {"Hello there.", "Élise a dit: «Bonjour».", "中文句子。", "Emoji 😀 here!", "x", "A. B. C."};
        StringBuilder b = new StringBuilder();
        int lines = r.nextInt(30);
        for (int i = 0; i < lines; i++) {
            switch (r.nextInt(7)) {
                case 0 -> b.append("");
                case 1 -> b.append(" \t ");
                case 2 -> b.append("\u2003");
                case 3 -> b.append(pieces[r.nextInt(pieces.length)]).append('\r');
                default -> b.append(pieces[r.nextInt(pieces.length)]).append(r.nextBoolean() ? " " + i : "");
            }
            if (i < lines - 1 || r.nextBoolean()) {
                b.append('\n');
            }
        }
        return b.toString();
    }

    /** Independent: the line of the first character of each stripped block, found by searching the text. */
    private static List<String> expectedIds(String name, String text, List<CorpusReader.RawDocument> docs) {
        List<String> ids = new ArrayList<>();
        int from = 0;
        for (CorpusReader.RawDocument d : docs) {
            int at = text.indexOf(d.text(), from);
            assertTrue(at >= 0);
            from = at + d.text().length();
            ids.add(name + ":" + (text.substring(0, at).chars().filter(c -> c == '\n').count() + 1));
        }
        return ids;
    }

    @Test
    void textFilesSplitAnywhereGiveTheCorpusReadersDocuments() throws IOException {
        Random r = new Random(17);
        for (int trial = 0; trial < 60; trial++) {
            String text = randomText(r);
            Path f = tmp.resolve("t" + trial + ".txt");
            Files.writeString(f, text, StandardCharsets.UTF_8);
            List<CorpusReader.RawDocument> want = CorpusReader.read(f);
            List<String> wantIds = expectedIds(f.getFileName().toString(), text, want);
            long len = Files.size(f);
            for (long split : new long[] {1, 2, 3, 5, 8, 13, 31, 64, Math.max(1, len)}) {
                List<RawDocument> got = readAll(f, split);
                assertEquals(want.stream().map(CorpusReader.RawDocument::text).toList(),
                        got.stream().map(RawDocument::text).toList(), "trial " + trial + " split " + split + ": " + text);
                assertEquals(wantIds, got.stream().map(RawDocument::id).toList(), "trial " + trial + " split " + split);
            }
        }
    }

    @Test
    void jsonLinesSplitAnywhereKeepLineNumbersAndIds() throws IOException {
        Random r = new Random(5);
        StringBuilder b = new StringBuilder();
        List<String> wantIds = new ArrayList<>();
        for (int i = 1; i <= 80; i++) {
            int k = r.nextInt(4);
            if (k == 0) {
                b.append("  \n");
                continue;
            }
            if (k == 1) {
                b.append("{\"id\": \"x").append(i).append("\", \"text\": \"Ünïcödé line ").append(i).append(".\"}\r\n");
                wantIds.add("x" + i);
            } else {
                b.append("{\"sentences\": [\"S").append(i).append(".\", \"T.\"]}\n");
                wantIds.add("c.jsonl:" + i);
            }
        }
        Path f = tmp.resolve("c.jsonl");
        Files.writeString(f, b.toString(), StandardCharsets.UTF_8);
        List<CorpusReader.RawDocument> want = CorpusReader.read(f);
        for (long split : new long[] {1, 7, 33, 100, 4096}) {
            List<RawDocument> got = readAll(f, split);
            assertEquals(wantIds, got.stream().map(RawDocument::id).toList(), "split " + split);
            for (int i = 0; i < want.size(); i++) {
                assertEquals(want.get(i).text(), got.get(i).text());
                assertEquals(want.get(i).sentences(), got.get(i).sentences());
            }
        }
    }

    @Test
    void malformedInputNamesFileAndLine() throws IOException {
        Path f = tmp.resolve("bad.txt");
        Files.write(f, new byte[] {'O', 'k', '.', '\n', '\n', 'B', (byte) 0xff, 'd', '\n'});
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> readAll(f, 1 << 20));
        assertEquals("expected UTF-8 text at bad.txt:3, found malformed bytes", e.getMessage());
        Path j = tmp.resolve("bad.jsonl");
        Files.writeString(j, "{\"text\": \"ok\"}\n[1, 2]\n");
        e = assertThrows(InvalidInputException.class, () -> readAll(j, 1 << 20));
        assertEquals("bad.jsonl:2: expected {\"text\": ...} or {\"sentences\": [...]}, found ARRAY", e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> CorpusFiles.plan(conf, tmp.resolve("none").toString(), 10, "text"));
        assertTrue(e.getMessage().startsWith("expected a corpus file or directory, found nothing at "), e.getMessage());
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Files.writeString(empty.resolve("x.csv"), "a,b");
        e = assertThrows(InvalidInputException.class, () -> CorpusFiles.plan(conf, empty.toString(), 10, "text"));
        assertTrue(e.getMessage().startsWith("expected .txt, .jsonl, .json or .parquet files in "), e.getMessage());
    }

    @Test
    void directoriesAreReadInSortedOrderSkippingHiddenAndOtherFiles() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("corpus/b"));
        Files.writeString(tmp.resolve("corpus/z.txt"), "Z.");
        Files.writeString(d.resolve("a.jsonl"), "{\"text\": \"A.\"}\n");
        Files.writeString(tmp.resolve("corpus/a.txt"), "First.\n\nSecond.");
        Files.writeString(tmp.resolve("corpus/.x.txt"), "hidden");
        Files.createDirectories(tmp.resolve("corpus/_tmp"));
        Files.writeString(tmp.resolve("corpus/_tmp/y.txt"), "hidden");
        Files.writeString(tmp.resolve("corpus/notes.md"), "ignored");
        List<InputUnit> units = CorpusFiles.plan(conf, tmp.resolve("corpus").toString(), 1 << 20, "text");
        assertEquals(List.of("a.txt", "b/a.jsonl", "z.txt"), units.stream().map(InputUnit::name).toList());
        assertEquals(List.of(0, 1, 2), units.stream().map(InputUnit::index).toList());
    }

    @Test
    void automaticSplitsAimAtFourTasksPerSlotWithinBounds() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("sized"));
        Files.write(d.resolve("a.txt"), new byte[3 << 20]);
        Files.write(d.resolve("b.txt"), new byte[1 << 20]);
        assertEquals((4L << 20) / 8 + 1, EncodeCorpusJob.autoSplit(conf, d.toString(), 2));
        assertEquals(256L << 10, EncodeCorpusJob.autoSplit(conf, d.toString(), 100));
        assertEquals(256L << 10, EncodeCorpusJob.autoSplit(conf, tmp.resolve("missing").toString(), 2));
    }
}
