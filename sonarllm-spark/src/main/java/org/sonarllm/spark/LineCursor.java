package org.sonarllm.spark;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.sonarllm.InvalidInputException;

/**
 * Reads {@code \n}-terminated lines from a stream that starts at byte offset {@code origin} of a
 * file, remembering where each line starts. The line excludes its {@code \n} and keeps a {@code \r}
 * before it (callers treat it as white space, as {@code \r?\n} splitting does).
 *
 * <p>Byte-range ownership follows Hadoop's line reader: a range {@code [start, end)} owns the lines
 * whose first byte lies in it. {@link #open} positions the cursor on the first such line.
 *
 * <p>Not thread-safe.
 */
final class LineCursor {
    private static final int BUFFER = 1 << 16;

    private final InputStream in;
    private final byte[] buf = new byte[BUFFER];
    private int pos;
    private int limit;
    private long bufferOffset;
    private byte[] line = new byte[256];
    private int length;
    private long lineStart = -1;
    private boolean eof;

    private LineCursor(InputStream in, long origin) {
        this.in = in;
        this.bufferOffset = origin;
    }

    /**
     * @param in a stream positioned at {@code origin}: {@code 0} for {@code start == 0}, else
     *     {@code start - 1}
     * @param start first byte of the range
     * @return a cursor whose next line is the first one starting at or after {@code start}
     * @throws IOException on read errors
     */
    static LineCursor open(InputStream in, long start) throws IOException {
        LineCursor c = new LineCursor(in, start == 0 ? 0 : start - 1);
        if (start > 0) {
            c.skipThroughNewline();
        }
        return c;
    }

    /** @return the stream offset to seek to before {@link #open} for a range starting at {@code start} */
    static long origin(long start) {
        return start == 0 ? 0 : start - 1;
    }

    private boolean fill() throws IOException {
        bufferOffset += limit;
        pos = 0;
        limit = 0;
        while (limit == 0) {
            int n = in.read(buf, 0, buf.length);
            if (n < 0) {
                eof = true;
                return false;
            }
            limit = n;
        }
        return true;
    }

    private void skipThroughNewline() throws IOException {
        while (true) {
            if (pos == limit && !fill()) {
                return;
            }
            byte b = buf[pos++];
            if (b == '\n') {
                return;
            }
        }
    }

    /**
     * Advances to the next line.
     *
     * @return false at the end of the stream
     * @throws IOException on read errors
     */
    boolean next() throws IOException {
        if (pos == limit && (eof || !fill())) {
            return false;
        }
        lineStart = bufferOffset + pos;
        length = 0;
        while (true) {
            if (pos == limit && !fill()) {
                return true;
            }
            int from = pos;
            while (pos < limit && buf[pos] != '\n') {
                pos++;
            }
            append(from, pos);
            if (pos < limit) {
                pos++;
                return true;
            }
        }
    }

    private void append(int from, int to) {
        int n = to - from;
        if (length + n > line.length) {
            line = Arrays.copyOf(line, Math.max(line.length * 2, length + n));
        }
        System.arraycopy(buf, from, line, length, n);
        length += n;
    }

    /** @return the file offset of the current line's first byte */
    long lineStart() {
        return lineStart;
    }

    /** @return whether the current line holds only {@code [ \t\x0B\f\r]} (a {@code \s} line) */
    boolean blank() {
        for (int i = 0; i < length; i++) {
            if (!isSpace(line[i])) {
                return false;
            }
        }
        return true;
    }

    /**
     * @param where file and line for the message
     * @return the current line decoded as strict UTF-8
     * @throws InvalidInputException if the bytes are not UTF-8
     */
    String text(String where) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(line, 0, length)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidInputException("expected UTF-8 text at " + where + ", found malformed bytes", e);
        }
    }

    /** @param b a byte @return whether it is one of Java regex {@code \s} minus {@code \n} */
    static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == 0x0B || b == '\f' || b == '\r';
    }
}
