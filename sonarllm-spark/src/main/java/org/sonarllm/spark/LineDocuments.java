package org.sonarllm.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.FSDataInputStream;
import org.sonarllm.InvalidInputException;

/**
 * The documents of one byte range of a {@code .txt} or JSON-lines file, read exactly as the
 * single-JVM corpus reader reads the whole file: a text document is a maximal run of lines that are
 * not white space only ({@code \r?\n\s*\r?\n} separates documents), stripped, with the id
 * {@code file:line} of the line where the stripped text starts; a JSON line is
 * {@code {"text": ...}} or {@code {"sentences": [...]}}, optionally with an {@code "id"}. A range owns
 * the documents whose first line starts in it (a text document may run past the range's end).
 *
 * <p>Not thread-safe; close it.
 */
final class LineDocuments extends CorpusFiles.Lookahead {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final InputUnit unit;
    private final FSDataInputStream in;
    private final LineCursor cursor;
    private long lineNo;
    private boolean hasLine;

    /**
     * @param unit a TEXT or JSONL unit
     * @param in the file, opened (this object closes it)
     * @throws IOException on read errors
     */
    LineDocuments(InputUnit unit, FSDataInputStream in) throws IOException {
        this.unit = unit;
        this.in = in;
        in.seek(LineCursor.origin(unit.start()));
        cursor = LineCursor.open(in, unit.start());
        lineNo = unit.firstLine() - 1;
        advance();
        if (unit.format() == InputUnit.Format.TEXT && hasLine && cursor.lineStart() > 0 && !cursor.blank()
                && !previousLineBlank(cursor.lineStart())) {
            // The document this line belongs to started in an earlier range.
            while (hasLine && !cursor.blank()) {
                advance();
            }
        }
    }

    private void advance() throws IOException {
        hasLine = cursor.next();
        if (hasLine) {
            lineNo++;
        }
    }

    private boolean owned() {
        return hasLine && cursor.lineStart() < unit.end();
    }

    private String where() {
        return unit.name() + ":" + lineNo;
    }

    /** Whether the line ending just before {@code lineStart} holds only white space. */
    private boolean previousLineBlank(long lineStart) throws IOException {
        byte[] b = new byte[4096];
        long p = lineStart - 1; // the '\n' ending the previous line
        while (p > 0) {
            int n = (int) Math.min(b.length, p);
            in.readFully(p - n, b, 0, n);
            for (int i = n - 1; i >= 0; i--) {
                if (b[i] == '\n') {
                    return true;
                }
                if (!LineCursor.isSpace(b[i])) {
                    return false;
                }
            }
            p -= n;
        }
        return true;
    }

    @Override
    RawDocument read() throws IOException {
        while (owned()) {
            if (unit.format() == InputUnit.Format.JSONL) {
                String line = cursor.text(where());
                String at = where();
                advance();
                if (!line.isBlank()) {
                    return parseJson(line, at, at);
                }
                continue;
            }
            if (cursor.blank()) {
                advance();
                continue;
            }
            // The id is the line where the stripped text starts: the first line with a non-white-space character.
            String first = cursor.text(where());
            String id = first.isBlank() ? null : where();
            StringBuilder text = new StringBuilder(first);
            advance();
            while (hasLine && !cursor.blank()) {
                String line = cursor.text(where());
                if (id == null && !line.isBlank()) {
                    id = where();
                }
                text.append('\n').append(line);
                advance();
            }
            if (id != null) {
                return new RawDocument(id, text.toString().strip(), null);
            }
        }
        return null;
    }

    /**
     * @param line one JSON object
     * @param where file and line, for messages
     * @param fallbackId id when the object has none
     * @return the document
     * @throws InvalidInputException if the line is not {@code {"text": ...}} or {@code {"sentences": [...]}}
     */
    static RawDocument parseJson(String line, String where, String fallbackId) {
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (IOException e) {
            throw new InvalidInputException(where + ": expected a JSON object, found malformed JSON", e);
        }
        if (n == null || !n.isObject()) {
            throw new InvalidInputException(where + ": expected {\"text\": ...} or {\"sentences\": [...]}, found "
                    + (n == null ? "nothing" : n.getNodeType()));
        }
        String id = fallbackId;
        JsonNode idNode = n.get("id");
        if (idNode != null && !idNode.isNull()) {
            if (!idNode.isValueNode()) {
                throw new InvalidInputException(where + ": expected \"id\" as a string or number, found " + idNode.getNodeType());
            }
            id = idNode.asText();
        }
        if (n.has("sentences") && n.get("sentences").isArray()) {
            List<String> s = new ArrayList<>();
            for (JsonNode x : n.get("sentences")) {
                if (!x.isTextual()) {
                    throw new InvalidInputException(where + ": expected sentences as strings, found " + x.getNodeType());
                }
                s.add(x.asText());
            }
            return new RawDocument(id, null, s);
        }
        if (n.has("text") && n.get("text").isTextual()) {
            return new RawDocument(id, n.get("text").asText(), null);
        }
        throw new InvalidInputException(where + ": expected {\"text\": ...} or {\"sentences\": [...]}, found an object with "
                + (n.size() == 0 ? "no fields" : "fields " + iterable(n.fieldNames())));
    }

    private static List<String> iterable(Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    /**
     * Counts the lines that start in the unit's range.
     *
     * @param unit a TEXT or JSONL unit
     * @param in the file, opened (not closed here)
     * @return the number of lines
     * @throws IOException on read errors
     */
    static long countLines(InputUnit unit, FSDataInputStream in) throws IOException {
        in.seek(LineCursor.origin(unit.start()));
        LineCursor c = LineCursor.open(in, unit.start());
        long n = 0;
        while (c.next() && c.lineStart() < unit.end()) {
            n++;
        }
        return n;
    }

    @Override
    String source() {
        return unit.path();
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
