package org.sonarllm.tokenize;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.sonarllm.ModelFormatException;

/**
 * Reader of a SentencePiece {@code ModelProto} file ({@code sentencepiece_model.proto}): it walks the
 * protobuf wire format and keeps the fields the encoder and decoder need, with the proto defaults for
 * absent fields. Immutable.
 *
 * <ul>
 *   <li>{@code ModelProto.pieces = 1}: {@code piece = 1} (string), {@code score = 2} (float), {@code
 *       type = 3} (enum, default NORMAL);
 *   <li>{@code ModelProto.trainer_spec = 2}: {@code model_type = 3} (default UNIGRAM), {@code
 *       treat_whitespace_as_suffix = 24}, {@code byte_fallback = 35}, {@code unk_surface = 44};
 *   <li>{@code ModelProto.normalizer_spec = 3}: {@code name = 1}, {@code precompiled_charsmap = 2},
 *       {@code add_dummy_prefix = 3}, {@code remove_extra_whitespaces = 4}, {@code
 *       escape_whitespaces = 5} (all three default true);
 *   <li>{@code ModelProto.denormalizer_spec = 5}: only whether it has a {@code precompiled_charsmap}.
 * </ul>
 * Every other field is skipped, but the whole message must be well-formed. The piece table is checked
 * the way SentencePiece checks it on load (non-empty pieces, no duplicate, exactly one {@code <unk>},
 * byte pieces only with byte fallback and then all 256 of them).
 */
final class SpModelFile {
    /** SentencePiece.Type values. */
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    /** TrainerSpec.ModelType values. */
    static final int UNIGRAM = 1, BPE = 2, WORD = 3, CHAR = 4;
    /** SentencePiece's default {@code unk_surface}: " \u2047 ". */
    static final String DEFAULT_UNK_SURFACE = " \u2047 ";

    final String[] pieces;
    final float[] scores;
    private final byte[] types;
    final int modelType;
    final boolean byteFallback;
    final boolean treatWhitespaceAsSuffix;
    final String unkSurface;
    final String normalizerName;
    final byte[] charsMap;
    final boolean addDummyPrefix;
    final boolean removeExtraWhitespaces;
    final boolean escapeWhitespaces;
    final boolean denormalizes;

    private SpModelFile(Builder b) {
        this.pieces = Arrays.copyOf(b.pieces, b.n);
        this.scores = Arrays.copyOf(b.scores, b.n);
        this.types = Arrays.copyOf(b.types, b.n);
        this.modelType = b.modelType;
        this.byteFallback = b.byteFallback;
        this.treatWhitespaceAsSuffix = b.treatWhitespaceAsSuffix;
        this.unkSurface = b.unkSurface;
        this.normalizerName = b.normalizerName;
        this.charsMap = b.charsMap;
        this.addDummyPrefix = b.addDummyPrefix;
        this.removeExtraWhitespaces = b.removeExtraWhitespaces;
        this.escapeWhitespaces = b.escapeWhitespaces;
        this.denormalizes = b.denormalizes;
    }

    /** @return number of pieces (the spm vocabulary size) */
    int size() {
        return types.length;
    }

    /** @param spmId an spm id in [0, size) @return its SentencePiece type */
    int type(int spmId) {
        return types[spmId];
    }

    /** @return the model type's name, for messages */
    static String modelTypeName(int t) {
        return switch (t) {
            case UNIGRAM -> "UNIGRAM";
            case BPE -> "BPE";
            case WORD -> "WORD";
            case CHAR -> "CHAR";
            default -> "model_type " + t;
        };
    }

    /** Field values while parsing, with the proto defaults. */
    private static final class Builder {
        String[] pieces = new String[1024];
        float[] scores = new float[1024];
        byte[] types = new byte[1024];
        int n;
        int modelType = UNIGRAM;
        boolean byteFallback;
        boolean treatWhitespaceAsSuffix;
        String unkSurface = DEFAULT_UNK_SURFACE;
        String normalizerName = "";
        byte[] charsMap = new byte[0];
        boolean addDummyPrefix = true;
        boolean removeExtraWhitespaces = true;
        boolean escapeWhitespaces = true;
        boolean denormalizes;

        void add(String piece, float score, int type) {
            if (n == pieces.length) {
                pieces = Arrays.copyOf(pieces, n * 2);
                scores = Arrays.copyOf(scores, n * 2);
                types = Arrays.copyOf(types, n * 2);
            }
            pieces[n] = piece;
            scores[n] = score;
            types[n] = (byte) type;
            n++;
        }
    }

    /**
     * Parses the bytes of a {@code .model} file.
     *
     * @param bytes the file content
     * @param path the file, named in error messages
     * @return the parsed model
     * @throws ModelFormatException if the bytes are not a usable SentencePiece model
     */
    static SpModelFile parse(byte[] bytes, Path path) {
        Reader r = new Reader(bytes, 0, bytes.length, path);
        Builder b = new Builder();
        while (r.hasMore()) {
            long key = r.varint();
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (wire == 2 && field >= 1 && field <= 3 || wire == 2 && field == 5) {
                Reader sub = r.sub();
                switch (field) {
                    case 1 -> piece(sub, b);
                    case 2 -> trainerSpec(sub, b);
                    case 3 -> normalizerSpec(sub, b);
                    default -> b.denormalizes |= hasCharsMap(sub);
                }
            } else {
                r.skip(wire, field);
            }
        }
        if (b.n == 0) {
            throw new ModelFormatException(
                    "not a SentencePiece model: " + path + " (expected at least one piece, found none)");
        }
        SpModelFile m = new SpModelFile(b);
        m.check(path);
        return m;
    }

    private static void piece(Reader r, Builder b) {
        String piece = null;
        float score = 0f;
        int type = NORMAL;
        while (r.hasMore()) {
            long key = r.varint();
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 1 && wire == 2) {
                piece = r.string();
            } else if (field == 2 && wire == 5) {
                score = Float.intBitsToFloat(r.fixed32());
            } else if (field == 3 && wire == 0) {
                long t = r.varint();
                if (t < NORMAL || t > BYTE) {
                    throw r.corrupt("piece type 1..6", String.valueOf(t));
                }
                type = (int) t;
            } else {
                r.skip(wire, field);
            }
        }
        if (piece == null) {
            throw r.corrupt("a piece string in every SentencePiece entry", "an entry without one");
        }
        b.add(piece, score, type);
    }

    private static void trainerSpec(Reader r, Builder b) {
        while (r.hasMore()) {
            long key = r.varint();
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 3 && wire == 0) {
                b.modelType = (int) r.varint();
            } else if (field == 24 && wire == 0) {
                b.treatWhitespaceAsSuffix = r.varint() != 0;
            } else if (field == 35 && wire == 0) {
                b.byteFallback = r.varint() != 0;
            } else if (field == 44 && wire == 2) {
                b.unkSurface = r.string();
            } else {
                r.skip(wire, field);
            }
        }
    }

    private static void normalizerSpec(Reader r, Builder b) {
        while (r.hasMore()) {
            long key = r.varint();
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 1 && wire == 2) {
                b.normalizerName = r.string();
            } else if (field == 2 && wire == 2) {
                b.charsMap = r.bytes();
            } else if (field >= 3 && field <= 5 && wire == 0) {
                boolean v = r.varint() != 0;
                if (field == 3) {
                    b.addDummyPrefix = v;
                } else if (field == 4) {
                    b.removeExtraWhitespaces = v;
                } else {
                    b.escapeWhitespaces = v;
                }
            } else {
                r.skip(wire, field);
            }
        }
    }

    private static boolean hasCharsMap(Reader r) {
        boolean has = false;
        while (r.hasMore()) {
            long key = r.varint();
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 2 && wire == 2) {
                has = r.bytes().length > 0;
            } else {
                r.skip(wire, field);
            }
        }
        return has;
    }

    /** The checks SentencePiece makes when it loads a model, plus the features this reader supports. */
    private void check(Path path) {
        if (modelType != UNIGRAM && modelType != BPE) {
            throw new ModelFormatException("unsupported SentencePiece model " + path + ": expected model_type UNIGRAM"
                    + " or BPE, found " + modelTypeName(modelType));
        }
        if (denormalizes) {
            throw new ModelFormatException("unsupported SentencePiece model " + path + ": expected no denormalizer"
                    + " rules, found a denormalizer_spec with a precompiled_charsmap");
        }
        java.util.Map<String, Integer> normal = new java.util.HashMap<>();
        java.util.Map<String, Integer> reserved = new java.util.HashMap<>();
        int unk = -1;
        int unkCount = 0;
        boolean[] bytesSeen = new boolean[256];
        for (int i = 0; i < pieces.length; i++) {
            String p = pieces[i];
            int t = types[i];
            if (p.isEmpty()) {
                throw corrupt(path, "a non-empty string for piece " + i, "an empty one");
            }
            boolean isNormal = t == NORMAL || t == USER_DEFINED || t == UNUSED;
            Integer prev = (isNormal ? normal : reserved).putIfAbsent(p, i);
            if (prev != null) {
                throw corrupt(path, "each piece once", "\"" + p + "\" at ids " + prev + " and " + i);
            }
            if (t == UNKNOWN) {
                unk = i;
                unkCount++;
            }
            if (t == BYTE) {
                int v = byteValue(p);
                if (!byteFallback) {
                    throw corrupt(path, "no byte piece since byte_fallback is false", "byte piece " + p + " at id " + i);
                }
                if (v < 0) {
                    throw corrupt(path, "byte pieces of the form <0xXX>", p + " at id " + i);
                }
                bytesSeen[v] = true;
            }
        }
        if (unkCount != 1) {
            throw new ModelFormatException("not a usable SentencePiece model: " + path
                    + " (expected exactly one <unk> piece, found " + unkCount + ")");
        }
        if (byteFallback) {
            for (int v = 0; v < 256; v++) {
                if (!bytesSeen[v]) {
                    throw corrupt(path, "256 byte pieces since byte_fallback is true",
                            "none for " + String.format("<0x%02X>", v));
                }
            }
        }
        assert unk >= 0;
    }

    /** @return the byte of a piece {@code <0xXX>} (upper-case hex, as spm writes it), or -1 */
    static int byteValue(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') {
            return -1;
        }
        int hi = Character.digit(piece.charAt(3), 16);
        int lo = Character.digit(piece.charAt(4), 16);
        if (hi < 0 || lo < 0 || Character.isLowerCase(piece.charAt(3)) || Character.isLowerCase(piece.charAt(4))) {
            return -1;
        }
        return hi * 16 + lo;
    }

    private static ModelFormatException corrupt(Path path, String expected, String found) {
        return new ModelFormatException("corrupt SentencePiece model " + path + ": expected " + expected + ", found "
                + found);
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

        int fixed32() {
            advance(4);
            return (bytes[pos - 4] & 0xff) | (bytes[pos - 3] & 0xff) << 8 | (bytes[pos - 2] & 0xff) << 16
                    | (bytes[pos - 1] & 0xff) << 24;
        }

        int length() {
            long len = varint();
            if (len < 0 || len > end - pos) {
                throw corrupt("a length within the " + (end - pos) + " remaining bytes", String.valueOf(len));
            }
            return (int) len;
        }

        /** @return a reader over the length-delimited field at the cursor, which it skips */
        Reader sub() {
            int len = length();
            Reader s = new Reader(bytes, pos, pos + len, path);
            pos += len;
            return s;
        }

        byte[] bytes() {
            int len = length();
            byte[] out = Arrays.copyOfRange(bytes, pos, pos + len);
            pos += len;
            return out;
        }

        String string() {
            int len = length();
            String s = new String(bytes, pos, len, StandardCharsets.UTF_8);
            pos += len;
            return s;
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
