package org.sonarllm.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A small mixed corpus: text with paragraphs of every shape, JSON lines with and without ids. */
final class TestCorpus {
    private TestCorpus() {}

    static final String LONG_SENTENCE = "The carriage " + "went on and on ".repeat(40).strip() + " until night.";

    /**
     * @param dir created
     * @return dir
     */
    static Path write(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("sub"));
        StringBuilder a = new StringBuilder();
        a.append("It is a truth universally acknowledged. A single man must be in want of a wife.\n");
        a.append("However little known the feelings may be. This truth is well fixed.\n\n");
        a.append("   \n\t\n");
        a.append("Mr. Bennet replied that he had not. But it is, returned she.\r\n\r\n");
        for (int i = 0; i < 12; i++) {
            a.append("Sentence number ").append(i).append(" of a long paragraph. ");
        }
        a.append("\n\n").append(LONG_SENTENCE).append(" Short one.\n\n");
        for (int d = 0; d < 14; d++) {
            a.append("Paragraph ").append(d).append(" begins here. It has a second sentence, number ").append(d)
                    .append(".\nAnd a third line ").append(d).append(" within it!\n\n");
        }
        a.append("Last words without a final newline.");
        Files.writeString(dir.resolve("a.txt"), a.toString(), StandardCharsets.UTF_8);
        StringBuilder b = new StringBuilder();
        b.append("{\"id\": \"doc-b1\", \"text\": \"Elizabeth laughed. Darcy did not.\"}\n");
        b.append("{\"sentences\": [\"Given one.\", \"  \", \" Given two. \"]}\n");
        b.append("\n");
        b.append("{\"sentences\": []}\n");
        b.append("{\"text\": \"   \"}\n");
        b.append("{\"id\": 42, \"text\": \"Numbers work as ids. So they do.\"}\n");
        for (int i = 0; i < 20; i++) {
            b.append("{\"text\": \"Line ").append(i).append(" speaks. It answers ").append(i).append(".\"}\n");
        }
        Files.writeString(dir.resolve("sub/b.jsonl"), b.toString(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("ignored.bin"), "not a corpus file");
        Files.writeString(dir.resolve("_hidden.txt"), "Hidden files are skipped.");
        return dir;
    }
}
