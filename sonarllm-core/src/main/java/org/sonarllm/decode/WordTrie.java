package org.sonarllm.decode;

import java.util.Arrays;
import java.util.Collection;

/**
 * The words of a {@link Lexicon} as a trie over code points, for following a word in progress one character at a
 * time without building strings: node 0 is the empty word; {@link #child} is an open-addressing map from (node,
 * code point) to node. Immutable once built, thread-safe.
 */
final class WordTrie {
    static final int ROOT = 0;

    private final long[] keys;
    private final int[] children;
    private final boolean[] terminal;
    private final int mask;

    private WordTrie(long[] keys, int[] children, boolean[] terminal) {
        this.keys = keys;
        this.children = children;
        this.terminal = terminal;
        this.mask = keys.length - 1;
    }

    /**
     * @param words lower-cased words
     * @return their trie
     */
    static WordTrie of(Collection<String> words) {
        long chars = 0;
        for (String w : words) {
            chars += w.length();
        }
        int capacity = Integer.highestOneBit((int) Math.min(1 << 28, Math.max(16, chars * 2))) << 1;
        long[] keys = new long[capacity];
        Arrays.fill(keys, -1L);
        int[] children = new int[capacity];
        boolean[] terminal = new boolean[(int) Math.min(Integer.MAX_VALUE - 8, chars + 1)];
        int nodes = 1;
        for (String w : words) {
            int node = ROOT;
            for (int i = 0; i < w.length(); ) {
                int cp = w.codePointAt(i);
                i += Character.charCount(cp);
                long key = key(node, cp);
                int slot = slot(key, capacity - 1);
                while (keys[slot] != -1L && keys[slot] != key) {
                    slot = (slot + 1) & (capacity - 1);
                }
                if (keys[slot] == -1L) {
                    keys[slot] = key;
                    children[slot] = nodes++;
                }
                node = children[slot];
            }
            terminal[node] = true;
        }
        return new WordTrie(keys, children, Arrays.copyOf(terminal, nodes));
    }

    /**
     * @param node a node @param cp a lower-cased code point
     * @return the node of the word in progress followed by {@code cp}, or -1 if no word begins so
     */
    int child(int node, int cp) {
        long key = key(node, cp);
        int slot = slot(key, mask);
        while (keys[slot] != -1L) {
            if (keys[slot] == key) {
                return children[slot];
            }
            slot = (slot + 1) & mask;
        }
        return -1;
    }

    /** @param node a node @return whether it ends a word */
    boolean terminal(int node) {
        return terminal[node];
    }

    private static long key(int node, int cp) {
        return ((long) node << 21) | cp;
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
