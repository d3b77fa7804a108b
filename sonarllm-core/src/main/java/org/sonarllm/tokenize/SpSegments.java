package org.sonarllm.tokenize;

import java.util.Arrays;

/**
 * A segmentation of normalized text: pieces as byte ranges {@code [start, end)} with their ids, in
 * order. Built by one encoder call and not shared.
 *
 * <pre>{@code
 * SpSegments s = new SpSegments(8);
 * s.add(0, 4, 57);
 * }</pre>
 */
final class SpSegments {
    int[] start;
    int[] end;
    int[] id;
    int size;

    SpSegments(int capacity) {
        int c = Math.max(4, capacity);
        start = new int[c];
        end = new int[c];
        id = new int[c];
    }

    void add(int from, int to, int pieceId) {
        if (size == id.length) {
            start = Arrays.copyOf(start, size * 2);
            end = Arrays.copyOf(end, size * 2);
            id = Arrays.copyOf(id, size * 2);
        }
        start[size] = from;
        end[size] = to;
        id[size] = pieceId;
        size++;
    }

    /** Reverses the order (encoders that backtrack add the pieces last to first). */
    void reverse() {
        for (int i = 0, j = size - 1; i < j; i++, j--) {
            swap(start, i, j);
            swap(end, i, j);
            swap(id, i, j);
        }
    }

    private static void swap(int[] a, int i, int j) {
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
