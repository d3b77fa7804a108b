package org.sonarllm.tokenize;

import java.util.Arrays;

/**
 * An immutable byte trie over UTF-8 keys with an int value per key (a SentencePiece id). Nodes are
 * numbered in breadth-first order, so the children of node {@code n} are the consecutive nodes {@code
 * [firstChild[n], firstChild[n + 1])}, sorted by their byte; a child is found by binary search (the
 * root, which has the most children, by a 256-entry table). About 9 bytes per node.
 *
 * <pre>{@code
 * PieceTrie t = PieceTrie.build(new byte[][] {utf8("▁the"), utf8("▁t")}, new int[] {7, 3});
 * int node = t.walk(PieceTrie.ROOT, bytes, 0, bytes.length);   // -1 if no key starts so
 * int id = node < 0 ? -1 : t.value(node);                      // -1 if no key ends there
 * }</pre>
 */
final class PieceTrie {
    static final int ROOT = 0;

    private final int[] firstChild;
    private final byte[] label;
    private final int[] value;
    private final int[] rootChild = new int[256];

    private PieceTrie(int[] firstChild, byte[] label, int[] value) {
        this.firstChild = firstChild;
        this.label = label;
        this.value = value;
        Arrays.fill(rootChild, -1);
        for (int c = firstChild[ROOT]; c < firstChild[ROOT + 1]; c++) {
            rootChild[label[c] & 0xff] = c;
        }
    }

    /**
     * @param keys distinct byte strings, not empty
     * @param values the value of each key
     * @return the trie
     */
    static PieceTrie build(byte[][] keys, int[] values) {
        Integer[] order = new Integer[keys.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(keys[a], keys[b]));
        byte[][] k = new byte[keys.length][];
        int[] v = new int[keys.length];
        int total = 1;
        for (int i = 0; i < order.length; i++) {
            k[i] = keys[order[i]];
            v[i] = values[order[i]];
            total += k[i].length;
        }
        // Breadth-first: node n covers the sorted keys [lo[n], hi[n]) sharing its depth[n]-byte prefix.
        int[] lo = new int[total];
        int[] hi = new int[total];
        int[] depth = new int[total];
        int[] first = new int[total + 1];
        byte[] lab = new byte[total];
        int[] val = new int[total];
        Arrays.fill(val, -1);
        int count = 1;
        hi[ROOT] = k.length;
        for (int n = 0; n < count; n++) {
            int a = lo[n];
            int d = depth[n];
            if (a < hi[n] && k[a].length == d) {
                val[n] = v[a];
                a++;
            }
            first[n] = count;
            while (a < hi[n]) {
                byte c = k[a][d];
                int b = a + 1;
                while (b < hi[n] && k[b][d] == c) {
                    b++;
                }
                lab[count] = c;
                lo[count] = a;
                hi[count] = b;
                depth[count] = d + 1;
                count++;
                a = b;
            }
        }
        first[count] = count;
        return new PieceTrie(Arrays.copyOf(first, count + 1), Arrays.copyOf(lab, count), Arrays.copyOf(val, count));
    }

    /** @return the child of {@code node} along byte {@code b}, or -1 */
    int child(int node, byte b) {
        if (node == ROOT) {
            return rootChild[b & 0xff];
        }
        int l = firstChild[node];
        int h = firstChild[node + 1] - 1;
        int key = b & 0xff;
        while (l <= h) {
            int m = (l + h) >>> 1;
            int x = label[m] & 0xff;
            if (x < key) {
                l = m + 1;
            } else if (x > key) {
                h = m - 1;
            } else {
                return m;
            }
        }
        return -1;
    }

    /** @return the node reached from {@code node} along {@code s[from, to)}, or -1 */
    int walk(int node, byte[] s, int from, int to) {
        for (int i = from; i < to && node >= 0; i++) {
            node = child(node, s[i]);
        }
        return node;
    }

    /** @return the value of the key ending at {@code node}, or -1 */
    int value(int node) {
        return value[node];
    }

    /** @return the value of the key {@code s[from, to)}, or -1 */
    int get(byte[] s, int from, int to) {
        int node = walk(ROOT, s, from, to);
        return node < 0 ? -1 : value[node];
    }

    /** @return the length of the longest key that is a prefix of {@code s[from, to)}, 0 if none */
    int longestPrefix(byte[] s, int from, int to) {
        int node = ROOT;
        int best = 0;
        for (int i = from; i < to; i++) {
            node = child(node, s[i]);
            if (node < 0) {
                break;
            }
            if (value[node] >= 0) {
                best = i + 1 - from;
            }
        }
        return best;
    }
}
