package org.sonarllm.tokenize;

/**
 * SentencePiece's UNIGRAM segmentation: the Viterbi best path through all vocabulary pieces, by the
 * sum of piece scores (log probabilities). Immutable; each call uses its own arrays.
 *
 * <p>This reproduces SentencePiece's optimized encoder bit for bit: positions are UTF-8 byte offsets;
 * a character no piece starts with becomes an {@code <unk>} of score {@code min_score - 10}; a
 * user-defined piece scores {@code length_in_bytes * max_score - 0.1} (with {@code max_score} starting
 * at the smallest positive float, as in spm); UNUSED pieces are never chosen; path scores are floats,
 * candidates through a vocabulary piece are summed and compared in double precision (the C++
 * expression's type), and on a tie the earlier candidate stays.
 *
 * <pre>{@code
 * SpSegments s = new SpUnigram(vocab).encode(normalizedUtf8);
 * }</pre>
 */
final class SpUnigram {
    private static final float UNK_PENALTY = 10.0f;

    private final SpVocab vocab;
    private final float minScore;
    private final float maxScore;

    SpUnigram(SpVocab vocab) {
        this.vocab = vocab;
        float min = Float.MAX_VALUE;
        float max = Float.MIN_NORMAL; // C++ FLT_MIN: the smallest positive normal float
        for (int i = 0; i < vocab.model.size(); i++) {
            if (vocab.type(i) == SpModelFile.NORMAL) {
                min = Math.min(min, vocab.score(i));
                max = Math.max(max, vocab.score(i));
            }
        }
        this.minScore = min;
        this.maxScore = max;
    }

    SpSegments encode(byte[] s) {
        int size = s.length;
        SpSegments out = new SpSegments(size / 3 + 1);
        if (size == 0) {
            return out;
        }
        float unkScore = minScore - UNK_PENALTY;
        float[] best = new float[size + 1];
        int[] startsAt = new int[size + 1];
        int[] ids = new int[size + 1];
        java.util.Arrays.fill(startsAt, -1);
        PieceTrie trie = vocab.pieces;
        int start = 0;
        while (start < size) {
            float tillHere = best[start];
            boolean hasSingleNode = false;
            int mblen = Math.min(Utf8.oneCharLen(s[start]), size - start);
            int node = PieceTrie.ROOT;
            for (int pos = start; pos < size; pos++) {
                node = trie.child(node, s[pos]);
                if (node < 0) {
                    break;
                }
                int id = trie.value(node);
                if (id < 0) {
                    continue;
                }
                int type = vocab.type(id);
                if (type == SpModelFile.UNUSED) {
                    continue;
                }
                int end = pos + 1;
                int length = end - start;
                double score = type == SpModelFile.USER_DEFINED ? (double) (length * maxScore) - 0.1 : vocab.score(id);
                double candidate = score + tillHere;
                if (startsAt[end] == -1 || candidate > best[end]) {
                    best[end] = (float) candidate;
                    startsAt[end] = start;
                    ids[end] = id;
                }
                if (!hasSingleNode && length == mblen) {
                    hasSingleNode = true;
                }
            }
            if (!hasSingleNode) {
                int end = start + mblen;
                float candidate = unkScore + tillHere;
                if (startsAt[end] == -1 || candidate > best[end]) {
                    best[end] = candidate;
                    startsAt[end] = start;
                    ids[end] = vocab.unkId;
                }
            }
            start += mblen;
        }
        for (int end = size; end > 0; end = startsAt[end]) {
            out.add(startsAt[end], end, ids[end]);
        }
        out.reverse();
        return out;
    }
}
