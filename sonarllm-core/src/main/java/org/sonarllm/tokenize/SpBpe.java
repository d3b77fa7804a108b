package org.sonarllm.tokenize;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * SentencePiece's BPE segmentation. Immutable; each call uses its own arrays.
 *
 * <p>The text starts as one symbol per UTF-8 character (a user-defined piece is one frozen symbol that
 * never merges). Every adjacent pair whose concatenation is a vocabulary piece is a candidate; the
 * candidate with the highest piece score is merged first, the leftmost on a tie, and the new symbol's
 * pairs with its neighbours become candidates. Candidates made stale by an earlier merge are skipped.
 * A final symbol that is an UNUSED piece is split back into the two symbols it was last merged from,
 * recursively. Each symbol remembers its node in the vocabulary trie, so testing a pair walks only the
 * right symbol's bytes.
 *
 * <pre>{@code
 * SpSegments s = new SpBpe(vocab).encode(normalizedUtf8);
 * }</pre>
 */
final class SpBpe {
    private final SpVocab vocab;

    SpBpe(SpVocab vocab) {
        this.vocab = vocab;
    }

    SpSegments encode(byte[] s) {
        return new Run(s).encode();
    }

    /** The state of one encoding. */
    private final class Run {
        private final byte[] s;
        // Symbols: byte range [start, start + len), neighbours, frozen flag, trie node of the bytes.
        private final int[] start;
        private final int[] len;
        private final int[] prev;
        private final int[] next;
        private final boolean[] frozen;
        private final int[] node;
        // Candidate pairs, in a binary max-heap of (priority key, pair index).
        private int[] left = new int[64];
        private int[] right = new int[64];
        private int[] size = new int[64];
        private int[] merged = new int[64];
        private int pairs;
        private long[] heapKey = new long[64];
        private int[] heap = new int[64];
        private int heapSize;
        private boolean bulk;
        /** For UNUSED pieces: the symbols a candidate of that piece was last built from. */
        private Map<Integer, int[]> revMerge;

        Run(byte[] s) {
            this.s = s;
            int n = s.length;
            start = new int[n];
            len = new int[n];
            prev = new int[n];
            next = new int[n];
            frozen = new boolean[n];
            node = new int[n];
        }

        SpSegments encode() {
            int n = s.length;
            SpSegments out = new SpSegments(n / 3 + 1);
            if (n == 0) {
                return out;
            }
            PieceTrie user = vocab.userDefined;
            int count = 0;
            for (int pos = 0; pos < n; count++) {
                int l = user == null ? 0 : user.longestPrefix(s, pos, n);
                frozen[count] = l > 0;
                if (l == 0) {
                    l = Math.min(Utf8.oneCharLen(s[pos]), n - pos);
                }
                start[count] = pos;
                len[count] = l;
                prev[count] = count - 1;
                next[count] = pos + l < n ? count + 1 : -1;
                node[count] = vocab.pieces.walk(PieceTrie.ROOT, s, pos, pos + l);
                pos += l;
            }
            bulk = true; // the first candidates are heapified at once
            for (int i = 1; i < count; i++) {
                maybeAdd(i - 1, i);
            }
            bulk = false;
            for (int i = heapSize / 2 - 1; i >= 0; i--) {
                siftDown(i, heap[i], heapKey[i]);
            }
            while (heapSize > 0) {
                int p = poll();
                int l = left[p];
                int r = right[p];
                if (len[l] == 0 || len[r] == 0 || len[l] + len[r] != size[p]) {
                    continue; // stale: one side was merged since
                }
                len[l] += len[r];
                node[l] = merged[p];
                next[l] = next[r];
                if (next[r] >= 0) {
                    prev[next[r]] = l;
                }
                len[r] = 0;
                maybeAdd(prev[l], l);
                maybeAdd(l, next[l]);
            }
            for (int i = 0; i != -1; i = next[i]) {
                resegment(start[i], start[i] + len[i], node[i], out);
            }
            return out;
        }

        private void maybeAdd(int l, int r) {
            if (l < 0 || r < 0 || frozen[l] || frozen[r] || node[l] < 0) {
                return;
            }
            int m = vocab.pieces.walk(node[l], s, start[r], start[r] + len[r]);
            int id = m < 0 ? -1 : vocab.pieces.value(m);
            if (id < 0) {
                return;
            }
            if (pairs == left.length) {
                int c = pairs * 2;
                left = Arrays.copyOf(left, c);
                right = Arrays.copyOf(right, c);
                size = Arrays.copyOf(size, c);
                merged = Arrays.copyOf(merged, c);
            }
            int p = pairs++;
            left[p] = l;
            right[p] = r;
            size[p] = len[l] + len[r];
            merged[p] = m;
            push(p, key(vocab.score(id), l));
            if (vocab.type(id) == SpModelFile.UNUSED) {
                if (revMerge == null) {
                    revMerge = new HashMap<>();
                }
                revMerge.put(id, new int[] {start[l], start[l] + len[l], start[r], start[r] + len[r]});
            }
        }

        private void resegment(int from, int to, int trieNode, SpSegments out) {
            int id = vocab.pieceToId(trieNode, s, from, to);
            int[] parts = vocab.type(id) == SpModelFile.UNUSED && revMerge != null ? revMerge.get(id) : null;
            if (parts == null) {
                out.add(from, to, id);
                return;
            }
            resegment(parts[0], parts[1], vocab.pieces.walk(PieceTrie.ROOT, s, parts[0], parts[1]), out);
            resegment(parts[2], parts[3], vocab.pieces.walk(PieceTrie.ROOT, s, parts[2], parts[3]), out);
        }

        /**
         * The priority of a pair as one long: the higher the score the larger, then the smaller the left
         * index the larger (the score's bits made to sort as signed ints, -0 counted as +0 as C++ compares).
         */
        private static long key(float score, int left) {
            int bits = Float.floatToIntBits(score == 0f ? 0f : score);
            bits ^= (bits >> 31) & 0x7fffffff;
            return (long) bits << 32 | (0xffffffffL - left);
        }

        private void push(int p, long key) {
            if (heapSize == heap.length) {
                heap = Arrays.copyOf(heap, heapSize * 2);
                heapKey = Arrays.copyOf(heapKey, heapSize * 2);
            }
            int i = heapSize++;
            while (i > 0 && !bulk) {
                int parent = (i - 1) >>> 1;
                if (heapKey[parent] >= key) {
                    break;
                }
                heap[i] = heap[parent];
                heapKey[i] = heapKey[parent];
                i = parent;
            }
            heap[i] = p;
            heapKey[i] = key;
        }

        private int poll() {
            int top = heap[0];
            int n = --heapSize;
            siftDown(0, heap[n], heapKey[n]);
            return top;
        }

        /** Puts pair {@code p} with {@code key} at heap slot {@code i} or below, in {@code heap[0, heapSize)}. */
        private void siftDown(int i, int p, long key) {
            int n = heapSize;
            while (true) {
                int c = 2 * i + 1;
                if (c >= n) {
                    break;
                }
                if (c + 1 < n && heapKey[c + 1] > heapKey[c]) {
                    c++;
                }
                if (heapKey[c] <= key) {
                    break;
                }
                heap[i] = heap[c];
                heapKey[i] = heapKey[c];
                i = c;
            }
            heap[i] = p;
            heapKey[i] = key;
        }
    }
}
