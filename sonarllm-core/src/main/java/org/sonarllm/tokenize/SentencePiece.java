package org.sonarllm.tokenize;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sonarllm.ModelFormatException;

/**
 * A pure-Java SentencePiece processor: the encoding and decoding of Google's {@code spm_encode} /
 * {@code spm_decode} (checked against them on golden files, see {@code SentencePieceGoldenTest}) for
 * BPE and UNIGRAM models, with the model's own normalization, user-defined and control symbols and byte
 * fallback. Immutable and thread-safe; no native code, no network.
 *
 * <p>Encoding: normalize ({@link SpNormalizer}), segment ({@link SpBpe} or {@link SpUnigram}), then, as
 * spm does, merge each run of consecutive unknown pieces into one {@code <unk>} (or, with byte fallback,
 * spell each unknown piece as its UTF-8 byte pieces). Decoding follows {@code spm_decode}: control pieces
 * vanish, {@code <unk>} becomes the model's {@code unk_surface}, runs of byte pieces are decoded as UTF-8
 * (each malformed byte as U+FFFD), "▁" becomes a space, and the leading "▁" of the text is dropped.
 *
 * <pre>{@code
 * SentencePiece sp = SentencePiece.load(Files.readAllBytes(model), model);
 * int[] ids = sp.encode("Hello there.");
 * String text = sp.decode(ids);   // "Hello there."
 * }</pre>
 */
final class SentencePiece {
    private static final String SPACE_SYMBOL = "\u2581";

    private final SpVocab vocab;
    private final SpNormalizer normalizer;
    private final SpBpe bpe;
    private final SpUnigram unigram;

    private SentencePiece(SpVocab vocab, SpNormalizer normalizer) {
        this.vocab = vocab;
        this.normalizer = normalizer;
        boolean isBpe = vocab.model.modelType == SpModelFile.BPE;
        this.bpe = isBpe ? new SpBpe(vocab) : null;
        this.unigram = isBpe ? null : new SpUnigram(vocab);
    }

    /**
     * @param bytes a {@code .model} file
     * @param path its path, named in error messages
     * @return the processor
     * @throws ModelFormatException if the model is corrupt or uses an unsupported feature
     */
    static SentencePiece load(byte[] bytes, Path path) {
        return of(SpModelFile.parse(bytes, path), path);
    }

    /** @return the processor of an already parsed model */
    static SentencePiece of(SpModelFile m, Path path) {
        SpVocab vocab = new SpVocab(m);
        SpCharsMap map = m.charsMap.length == 0 ? null : SpCharsMap.parse(m.charsMap, path);
        return new SentencePiece(vocab, new SpNormalizer(map, vocab.userDefined, m.addDummyPrefix,
                m.removeExtraWhitespaces, m.escapeWhitespaces, m.treatWhitespaceAsSuffix));
    }

    SpModelFile model() {
        return vocab.model;
    }

    /** @return the spm ids of a text ({@code EncodeAsIds}) */
    int[] encode(String text) {
        return result(text, false).ids;
    }

    /** @return the piece strings of a text ({@code EncodeAsPieces}) */
    List<String> encodeAsPieces(String text) {
        return result(text, true).pieces;
    }

    /** @return the normalized text ({@code spm_normalize}), "▁" for spaces if the model escapes them */
    String normalize(String text) {
        return new String(normalizer.normalize(Utf8.encode(text)), StandardCharsets.UTF_8);
    }

    private static final class Result {
        int[] ids = new int[16];
        int n;
        List<String> pieces;

        void add(int id) {
            if (n == ids.length) {
                ids = Arrays.copyOf(ids, n * 2);
            }
            ids[n++] = id;
        }
    }

    private Result result(String text, boolean withPieces) {
        byte[] norm = normalizer.normalize(Utf8.encode(text));
        SpSegments seg = bpe != null ? bpe.encode(norm) : unigram.encode(norm);
        Result r = new Result();
        r.pieces = withPieces ? new ArrayList<>(seg.size) : null;
        boolean prevUnk = false;
        for (int i = 0; i < seg.size; i++) {
            int id = seg.id[i];
            boolean unk = vocab.type(id) == SpModelFile.UNKNOWN;
            if (unk && vocab.byteIds != null) {
                for (int b = seg.start[i]; b < seg.end[i]; b++) {
                    int byteId = vocab.byteIds[norm[b] & 0xff];
                    r.add(byteId);
                    if (withPieces) {
                        r.pieces.add(vocab.model.pieces[byteId]);
                    }
                }
            } else if (unk && prevUnk) {
                if (withPieces) {
                    int last = r.pieces.size() - 1;
                    r.pieces.set(last, r.pieces.get(last) + surface(norm, seg, i));
                }
            } else {
                r.add(id);
                if (withPieces) {
                    r.pieces.add(unk ? surface(norm, seg, i) : vocab.model.pieces[id]);
                }
            }
            prevUnk = unk;
        }
        r.ids = Arrays.copyOf(r.ids, r.n);
        return r;
    }

    private static String surface(byte[] norm, SpSegments seg, int i) {
        return new String(norm, seg.start[i], seg.end[i] - seg.start[i], StandardCharsets.UTF_8);
    }

    /**
     * {@code DecodeIds}: the text of spm ids.
     *
     * @param ids spm ids, each in {@code [0, size)}
     * @return the text
     * @throws IllegalArgumentException for an id out of range
     */
    String decode(int[] ids) {
        SpModelFile m = vocab.model;
        boolean stripsBosSpace = m.addDummyPrefix || m.removeExtraWhitespaces;
        StringBuilder text = new StringBuilder();
        byte[] bytes = new byte[16];
        int nBytes = 0;
        boolean bos = true;
        boolean bosSpaceSeen = false;
        for (int id : ids) {
            if (id < 0 || id >= m.size()) {
                throw new IllegalArgumentException("expected a SentencePiece id in [0, " + m.size() + "), found " + id);
            }
            int type = m.type(id);
            if (type == SpModelFile.BYTE) {
                if (nBytes == bytes.length) {
                    bytes = Arrays.copyOf(bytes, nBytes * 2);
                }
                bytes[nBytes++] = (byte) vocab.byteOf[id];
                continue;
            }
            Utf8.decode(bytes, 0, nBytes, text);
            nBytes = 0;
            if (bosSpaceSeen || text.length() > 0) {
                bos = false;
            }
            bosSpaceSeen = false;
            if (type == SpModelFile.CONTROL) {
                continue;
            }
            if (type == SpModelFile.UNKNOWN) {
                text.append(m.unkSurface);
                continue;
            }
            String piece = m.pieces[id];
            if (bos && stripsBosSpace && piece.startsWith(SPACE_SYMBOL)) {
                piece = piece.substring(SPACE_SYMBOL.length());
                bosSpaceSeen = !m.removeExtraWhitespaces;
            }
            text.append(piece.replace(SPACE_SYMBOL, " "));
        }
        Utf8.decode(bytes, 0, nBytes, text);
        return text.toString();
    }
}
