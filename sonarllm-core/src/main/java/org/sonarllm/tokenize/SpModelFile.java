package org.sonarllm.tokenize;

import java.nio.file.Path;
import org.sonarllm.ModelFormatException;

/**
 * Minimal reader of a SentencePiece {@code ModelProto} file: it walks the protobuf wire format to
 * count the pieces and read each piece's type. It validates the file before the bytes reach the
 * native library and gives the piece count, which the DJL binding does not expose (asking it for an
 * id out of range aborts the JVM).
 *
 * <p>Only the fields needed are read: {@code ModelProto.pieces = 1} (repeated message) and inside
 * it {@code SentencePiece.type = 3} (enum, default NORMAL). Every other field is skipped, but the
 * whole message must be well-formed.
 */
final class SpModelFile {
    /** SentencePiece.Type values. */
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    private final int[] types;

    private SpModelFile(int[] types) {
        this.types = types;
    }

    /** @return number of pieces (the spm vocabulary size) */
    int size() {
        return types.length;
    }

    /** @param spmId an spm id in [0, size) @return its SentencePiece type */
    int type(int spmId) {
        return types[spmId];
    }

    /**
     * Parses the bytes of a {@code .model} file.
     *
     * @param bytes the file content
     * @param path the file, named in error messages
     * @return the parsed piece table
     * @throws ModelFormatException if the bytes are not a SentencePiece model
     */
    static SpModelFile parse(byte[] bytes, Path path) {
        Reader r = new Reader(bytes, 0, bytes.length, path);
        int[] types = new int[Math.max(16, bytes.length / 8)];
        int n = 0;
        while (r.hasMore()) {
            long key = r.varint();
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 1 && wire == 2) {
                int len = r.length();
                int type = pieceType(new Reader(bytes, r.pos, r.pos + len, path));
                r.pos += len;
                if (n == types.length) {
                    types = java.util.Arrays.copyOf(types, n * 2);
                }
                types[n++] = type;
            } else {
                r.skip(wire, field);
            }
        }
        if (n == 0) {
            throw new ModelFormatException(
                    "not a SentencePiece model: " + path + " (expected at least one piece, found none)");
        }
        int[] out = java.util.Arrays.copyOf(types, n);
        if (countType(out, UNKNOWN) != 1) {
            throw new ModelFormatException("not a usable SentencePiece model: " + path
                    + " (expected exactly one <unk> piece, found " + countType(out, UNKNOWN) + ")");
        }
        return new SpModelFile(out);
    }

    private static int countType(int[] types, int t) {
        int c = 0;
        for (int x : types) {
            if (x == t) {
                c++;
            }
        }
        return c;
    }

    private static int pieceType(Reader r) {
        int type = NORMAL;
        boolean hasPiece = false;
        while (r.hasMore()) {
            long key = r.varint();
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 3 && wire == 0) {
                type = (int) r.varint();
                if (type < NORMAL || type > BYTE) {
                    throw r.corrupt("piece type 1..6", String.valueOf(type));
                }
            } else {
                if (field == 1 && wire == 2) {
                    hasPiece = true;
                }
                r.skip(wire, field);
            }
        }
        if (!hasPiece) {
            throw r.corrupt("a piece string in every SentencePiece entry", "an entry without one");
        }
        return type;
    }

    /** Cursor over a protobuf message in {@code bytes[pos, end)}. */
    private static final class Reader {
        private final byte[] bytes;
        private final int end;
        private final Path path;
        int pos;

        Reader(byte[] bytes, int pos, int end, Path path) {
            this.bytes = bytes;
            this.pos = pos;
            this.end = end;
            this.path = path;
        }

        boolean hasMore() {
            return pos < end;
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw corrupt("a complete varint", "end of data at byte " + pos);
                }
                byte b = bytes[pos++];
                v |= (long) (b & 0x7f) << shift;
                if (b >= 0) {
                    return v;
                }
            }
            throw corrupt("a varint of at most 10 bytes", "a longer one at byte " + pos);
        }

        int length() {
            long len = varint();
            if (len < 0 || len > end - pos) {
                throw corrupt("a length within the " + (end - pos) + " remaining bytes", String.valueOf(len));
            }
            return (int) len;
        }

        void skip(int wire, int field) {
            if (field == 0) {
                throw corrupt("a field number >= 1", "0 at byte " + pos);
            }
            switch (wire) {
                case 0 -> varint();
                case 1 -> advance(8);
                case 2 -> {
                    int len = length(); // read before adding: `pos += length()` would use the old pos
                    pos += len;
                }
                case 5 -> advance(4);
                default -> throw corrupt("a protobuf wire type in {0,1,2,5}", wire + " at byte " + pos);
            }
        }

        private void advance(int n) {
            if (end - pos < n) {
                throw corrupt(n + " more bytes", (end - pos));
            }
            pos += n;
        }

        ModelFormatException corrupt(String expected, Object found) {
            return new ModelFormatException("corrupt SentencePiece model " + path + ": expected " + expected
                    + ", found " + found);
        }
    }
}
