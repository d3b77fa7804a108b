package org.sonarllm.tokenize;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The piece tables of a SentencePiece model, as its encoders look pieces up. Immutable.
 *
 * <p>As in SentencePiece, NORMAL, USER_DEFINED and UNUSED pieces are the vocabulary the segmentation
 * algorithms search ({@link #pieces}); CONTROL, UNKNOWN and BYTE pieces are "reserved" and found only by
 * {@link #pieceToId}, which looks at them first and answers the {@code <unk>} id for anything else.
 *
 * <pre>{@code
 * SpVocab v = new SpVocab(SpModelFile.parse(bytes, path));
 * int id = v.pieceToId(utf8, 0, utf8.length);
 * }</pre>
 */
final class SpVocab {
    final SpModelFile model;
    /** NORMAL, USER_DEFINED and UNUSED pieces -> id. */
    final PieceTrie pieces;
    /** USER_DEFINED pieces, or null if the model has none. */
    final PieceTrie userDefined;
    final int unkId;
    /** The id of each byte piece {@code <0xXX>}, or null without byte fallback. */
    final int[] byteIds;
    /** The byte of each BYTE piece, -1 for other pieces. */
    final int[] byteOf;
    private final Map<String, Integer> reserved;
    /** For a vocabulary id whose string is also a reserved piece: that reserved id (PieceToId prefers it). */
    private final Map<Integer, Integer> shadowed;

    SpVocab(SpModelFile model) {
        this.model = model;
        int n = model.size();
        byte[][] keys = new byte[n][];
        int[] ids = new int[n];
        int k = 0;
        int u = 0;
        reserved = new HashMap<>();
        byteOf = new int[n];
        int unk = -1;
        for (int i = 0; i < n; i++) {
            int t = model.type(i);
            byteOf[i] = t == SpModelFile.BYTE ? SpModelFile.byteValue(model.pieces[i]) : -1;
            if (t == SpModelFile.NORMAL || t == SpModelFile.USER_DEFINED || t == SpModelFile.UNUSED) {
                keys[k] = model.pieces[i].getBytes(StandardCharsets.UTF_8);
                ids[k++] = i;
                u += t == SpModelFile.USER_DEFINED ? 1 : 0;
            } else {
                reserved.put(model.pieces[i], i);
                unk = t == SpModelFile.UNKNOWN ? i : unk;
            }
        }
        unkId = unk;
        pieces = PieceTrie.build(java.util.Arrays.copyOf(keys, k), java.util.Arrays.copyOf(ids, k));
        if (u > 0) {
            byte[][] uk = new byte[u][];
            int[] uid = new int[u];
            for (int i = 0, j = 0; i < n; i++) {
                if (model.type(i) == SpModelFile.USER_DEFINED) {
                    uk[j] = model.pieces[i].getBytes(StandardCharsets.UTF_8);
                    uid[j++] = i;
                }
            }
            userDefined = PieceTrie.build(uk, uid);
        } else {
            userDefined = null;
        }
        shadowed = new HashMap<>();
        for (Map.Entry<String, Integer> e : reserved.entrySet()) {
            byte[] b = e.getKey().getBytes(StandardCharsets.UTF_8);
            int id = pieces.get(b, 0, b.length);
            if (id >= 0) {
                shadowed.put(id, e.getValue());
            }
        }
        if (model.byteFallback) {
            byteIds = new int[256];
            for (int i = 0; i < n; i++) {
                if (byteOf[i] >= 0) {
                    byteIds[byteOf[i]] = i;
                }
            }
        } else {
            byteIds = null;
        }
    }

    /**
     * SentencePiece's {@code PieceToId} for the piece {@code s[from, to)} whose node in {@link #pieces}
     * is {@code node} (-1 if the bytes are not in the trie).
     */
    int pieceToId(int node, byte[] s, int from, int to) {
        int id = node < 0 ? -1 : pieces.value(node);
        if (id >= 0) {
            return shadowed.isEmpty() ? id : shadowed.getOrDefault(id, id);
        }
        Integer r = reserved.get(new String(s, from, to - from, StandardCharsets.UTF_8));
        return r != null ? r : unkId;
    }

    /** SentencePiece's {@code PieceToId} for the piece {@code s[from, to)}. */
    int pieceToId(byte[] s, int from, int to) {
        return pieceToId(pieces.walk(PieceTrie.ROOT, s, from, to), s, from, to);
    }

    int type(int id) {
        return model.type(id);
    }

    float score(int id) {
        return model.scores[id];
    }
}
