package org.sonarllm.training.sonar;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.sonarllm.InvalidInputException;
import org.sonarllm.lang.Language;
import org.sonarllm.segment.Segment;
import org.sonarllm.segment.SentenceSegmenter;
import org.sonarllm.segment.SentenceSegmenters;

/**
 * Reads plain-text novels into paragraphs of sentences: paragraphs are separated by blank lines,
 * their lines joined with one space, headings such as "Chapter 12" or "CHAPTER XII" and title lines are
 * skipped, and each paragraph is split by the project's English sentence segmenter.
 *
 * <pre>{@code
 * List<List<String>> paragraphs = AustenCorpus.paragraphs(Path.of("data/austen/persuasion.txt"));
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class AustenCorpus {
    private static final Pattern HEADING = Pattern.compile("(?i)^(chapter|volume|book)\\s+[0-9ivxlc]+\\.?$");

    private AustenCorpus() {}

    /**
     * @param file a UTF-8 text file
     * @return paragraphs (with at least one sentence), each a list of sentences, in file order
     */
    public static List<List<String>> paragraphs(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read corpus file " + file + ": " + e.getMessage(), e);
        }
        SentenceSegmenter seg = SentenceSegmenters.forLanguage(Language.ENGLISH);
        List<List<String>> out = new ArrayList<>();
        for (String block : text.replace("\r", "").split("\n\\s*\n")) {
            String para = block.strip().replaceAll("\\s+", " ");
            if (para.isEmpty() || HEADING.matcher(para).matches() || para.indexOf(' ') < 0 && para.length() < 30) {
                continue;
            }
            List<String> sentences = new ArrayList<>();
            for (Segment s : seg.segment(para)) {
                String t = s.text().strip();
                if (!t.isEmpty()) {
                    sentences.add(t);
                }
            }
            if (!sentences.isEmpty()) {
                out.add(sentences);
            }
        }
        return out;
    }

    /**
     * @param files text files
     * @return all sentences of all files, in order
     */
    public static List<String> sentences(List<Path> files) {
        List<String> out = new ArrayList<>();
        for (Path f : files) {
            for (List<String> p : paragraphs(f)) {
                out.addAll(p);
            }
        }
        return out;
    }

    /**
     * @param sentence a sentence
     * @return its number of whitespace-separated words
     */
    public static int words(String sentence) {
        String s = sentence.strip();
        return s.isEmpty() ? 0 : s.split("\\s+").length;
    }
}
