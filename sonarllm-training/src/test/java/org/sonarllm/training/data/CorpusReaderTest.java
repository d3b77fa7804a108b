package org.sonarllm.training.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusReaderTest {
    @TempDir
    Path tmp;

    @Test
    void aDirectoryGivenThroughASymbolicLinkIsReadAsItsTarget() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("books"));
        Files.writeString(dir.resolve("b.txt"), "Second book.\n\nIts second paragraph.\n");
        Files.writeString(dir.resolve("a.txt"), "First book.\n");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), dir);
        List<CorpusReader.RawDocument> direct = CorpusReader.read(dir);
        List<CorpusReader.RawDocument> linked = CorpusReader.read(link);
        assertEquals(List.of("First book.", "Second book.", "Its second paragraph."),
                linked.stream().map(CorpusReader.RawDocument::text).toList());
        assertEquals(direct.stream().map(CorpusReader.RawDocument::text).toList(),
                linked.stream().map(CorpusReader.RawDocument::text).toList());
        assertEquals(link.resolve("a.txt") + "#0", linked.get(0).source());
        assertEquals(dir.resolve("a.txt") + "#0", direct.get(0).source());
    }

    @Test
    void paragraphsOfOneTextFileAreTheOnlyOnesOfOneFile() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("mixed#1"));
        Files.writeString(dir.resolve("a.txt"), "One.\n\nTwo.\n");
        Files.writeString(dir.resolve("b.txt"), "Three.\n");
        Files.writeString(dir.resolve("c.jsonl"), "{\"text\": \"Four.\"}\n{\"text\": \"Five.\"}\n");
        List<CorpusReader.RawDocument> d = CorpusReader.read(dir);
        assertEquals(List.of("One.", "Two.", "Three.", "Four.", "Five."),
                d.stream().map(CorpusReader.RawDocument::text).toList());
        assertTrue(d.get(0).sameTextFile(d.get(1)));
        assertTrue(d.get(1).sameTextFile(d.get(0)));
        assertFalse(d.get(1).sameTextFile(d.get(2)), "another text file");
        assertFalse(d.get(3).sameTextFile(d.get(4)), "JSON documents stand alone, whatever their path holds");
        assertFalse(d.get(2).sameTextFile(d.get(3)));
    }
}
