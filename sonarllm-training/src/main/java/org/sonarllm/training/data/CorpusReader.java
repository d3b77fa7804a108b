package org.sonarllm.training.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.sonarllm.InvalidInputException;
import org.sonarllm.segment.Segment;
import org.sonarllm.segment.SentenceSegmenter;

/**
 * Reads a corpus, the one reader of every training and evaluation command: a file or a directory
 * (recursively, in sorted path order) of {@code .txt} files (documents separated by blank lines) and
 * {@code .jsonl} / {@code .json} files (one JSON object per line with {@code "text": "..."} or pre-split
 * {@code "sentences": [...]}). Files must be UTF-8; other files in a directory are ignored.
 * {@link #readBooks} reads plain-text books (hard-wrapped lines, chapter headings) the same way.
 *
 * <pre>{@code
 * List<CorpusReader.RawDocument> docs = CorpusReader.read(Path.of("corpus"));
 * List<String> first = docs.get(0).split(SentenceSegmenters.forLanguage(Language.ENGLISH));
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class CorpusReader {
    /**
     * One document before segmentation.
     *
     * @param source file and position, for messages
     * @param text the text (null when {@code sentences} is given)
     * @param sentences pre-split sentences (null when {@code text} is given)
     */
    public record RawDocument(String source, String text, List<String> sentences) {
        /**
         * The document's sentences: the pre-split ones, or the segmenter's split of the text; stripped,
         * blank ones dropped.
         *
         * @param segmenter the corpus language's segmenter
         * @return the sentences (possibly none)
         */
        public List<String> split(SentenceSegmenter segmenter) {
            List<String> out = new ArrayList<>();
            if (sentences != null) {
                sentences.stream().filter(x -> !x.isBlank()).map(String::strip).forEach(out::add);
            } else {
                for (Segment seg : segmenter.segment(text)) {
                    if (!seg.text().isBlank()) {
                        out.add(seg.text().strip());
                    }
                }
            }
            return out;
        }

        /**
         * @param other another document
         * @return whether both are paragraphs of one plain-text file (sources {@code file#index}, as
         *     {@link CorpusReader#read} names them); JSON documents stand alone
         */
        public boolean sameTextFile(RawDocument other) {
            int i = paragraphMark(source);
            return i > 0 && i == paragraphMark(other.source) && source.regionMatches(0, other.source, 0, i);
        }

        /** @return the index of the mark before a trailing paragraph number, or -1 */
        private static int paragraphMark(String source) {
            int i = source.lastIndexOf(PARAGRAPH_MARK);
            return i > 0 && i + 1 < source.length() && source.substring(i + 1).chars().allMatch(Character::isDigit) ? i : -1;
        }
    }

    /** Between a text file's name and a paragraph's number in {@link RawDocument#source}. */
    private static final char PARAGRAPH_MARK = '#';
    /** A chapter, volume or book heading: the word and a number ("Chapter 12", "VOLUME II."). */
    private static final Pattern HEADING = Pattern.compile("(?i)^(chapter|volume|book)\\s+[0-9ivxlc]+\\.?$");
    /** Shorter single-word blocks are titles or ornaments, not prose. */
    private static final int TITLE_CHARS = 30;

    private CorpusReader() {}

    /**
     * Reads like {@link #read} for plain-text books: in {@code .txt} documents (paragraphs) runs of white
     * space, line breaks included, become one space, and headings (chapter, volume or book and a number)
     * and single-word blocks of under 30 characters (titles) are dropped. JSON documents are kept as read.
     *
     * @param path a file or directory
     * @return the paragraphs in order
     * @throws InvalidInputException as {@link #read}
     */
    public static List<RawDocument> readBooks(Path path) {
        List<RawDocument> out = new ArrayList<>();
        for (RawDocument d : read(path)) {
            if (d.text() == null) {
                out.add(d);
                continue;
            }
            String para = d.text().replaceAll("\\s+", " ");
            if (!HEADING.matcher(para).matches() && !(para.indexOf(' ') < 0 && para.length() < TITLE_CHARS)) {
                out.add(new RawDocument(d.source(), para, null));
            }
        }
        return out;
    }

    /**
     * @param path a file or directory
     * @return the documents in order
     * @throws InvalidInputException if the path is missing, a file is not UTF-8 or a JSON line is malformed
     */
    public static List<RawDocument> read(Path path) {
        if (!Files.exists(path)) {
            throw new InvalidInputException("expected a corpus file or directory, found nothing at " + path);
        }
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(path)) {
            try {
                // a directory given through a symbolic link is walked at its target, its files named under the link
                Path real = path.toRealPath();
                try (Stream<Path> s = Files.walk(real)) {
                    s.filter(Files::isRegularFile).filter(CorpusReader::supported).sorted()
                            .forEach(f -> files.add(path.resolve(real.relativize(f).toString())));
                }
            } catch (IOException e) {
                throw new InvalidInputException("cannot list corpus " + path + ": " + e.getMessage(), e);
            }
        } else {
            files.add(path);
        }
        List<RawDocument> out = new ArrayList<>();
        for (Path f : files) {
            String text = utf8(f);
            String name = f.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
            if (name.endsWith(".jsonl") || name.endsWith(".json")) {
                readJsonLines(f, text, out);
            } else {
                int i = 0;
                for (String block : text.split("\\r?\\n\\s*\\r?\\n")) {
                    if (!block.isBlank()) {
                        out.add(new RawDocument(f.toString() + PARAGRAPH_MARK + i++, block.strip(), null));
                    }
                }
            }
        }
        return out;
    }

    private static boolean supported(Path p) {
        String n = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".txt") || n.endsWith(".jsonl") || n.endsWith(".json");
    }

    static String utf8(Path f) {
        try {
            byte[] bytes = Files.readAllBytes(f);
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (MalformedInputException e) {
            throw new InvalidInputException("expected UTF-8 text in " + f + ", found malformed bytes", e);
        } catch (CharacterCodingException e) {
            throw new InvalidInputException("expected UTF-8 text in " + f + ", found " + e.getMessage(), e);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read corpus file " + f + ": " + e.getMessage(), e);
        }
    }

    private static void readJsonLines(Path f, String text, List<RawDocument> out) {
        ObjectMapper om = new ObjectMapper();
        String[] lines = text.split("\\r?\\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            out.add(parseLine(om, lines[i], f + ":" + (i + 1)));
        }
    }

    /**
     * @param om JSON mapper
     * @param line one JSON object
     * @param where source position for messages
     * @return the document
     */
    public static RawDocument parseLine(ObjectMapper om, String line, String where) {
        JsonNode n;
        try {
            n = om.readTree(line);
        } catch (IOException e) {
            throw new InvalidInputException(where + ": expected a JSON object, found malformed JSON", e);
        }
        if (n != null && n.isObject() && n.has("sentences") && n.get("sentences").isArray()) {
            List<String> s = new ArrayList<>();
            for (JsonNode x : n.get("sentences")) {
                if (!x.isTextual()) {
                    throw new InvalidInputException(where + ": expected sentences as strings, found " + x.getNodeType());
                }
                s.add(x.asText());
            }
            return new RawDocument(where, null, s);
        }
        if (n != null && n.isObject() && n.has("text") && n.get("text").isTextual()) {
            return new RawDocument(where, n.get("text").asText(), null);
        }
        throw new InvalidInputException(where + ": expected {\"text\": ...} or {\"sentences\": [...]}, found "
                + (n == null ? "nothing" : n.getNodeType()));
    }
}
