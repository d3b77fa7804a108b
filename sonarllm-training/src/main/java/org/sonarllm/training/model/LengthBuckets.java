package org.sonarllm.training.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Groups decoder rows by length so that each teacher-forcing call pads little: a batch's sentences range
 * from a few pieces to the decoder's limit, and one call padded to the longest spends most of its work on
 * padding. Rows are cut at lengths growing by half (8, 12, 18, 27, ...), at most 1.5x padding per group;
 * groups of fewer than {@value #MIN_ROWS} rows join the next longer group (a call has a fixed cost too).
 * The cross-entropy is a mean over target tokens, so the groups' token-weighted losses and gradients
 * combine exactly ({@link DecoderCrossEntropy}).
 */
final class LengthBuckets {
    /** Smallest group kept on its own. */
    static final int MIN_ROWS = 4;

    private LengthBuckets() {}

    /**
     * @param lengths real length of each row
     * @return row indices by group, each group sorted by length, groups by increasing length; all rows once
     */
    static List<int[]> groups(int[] lengths) {
        Integer[] order = new Integer[lengths.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> lengths[i]));
        List<List<Integer>> groups = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        double bound = 8;
        for (int i : order) {
            while (lengths[i] > bound) {
                bound *= 1.5;
                if (current.size() >= MIN_ROWS) {
                    groups.add(current);
                    current = new ArrayList<>();
                }
            }
            current.add(i);
        }
        if (!current.isEmpty()) {
            if (current.size() < MIN_ROWS && !groups.isEmpty()) {
                groups.get(groups.size() - 1).addAll(current);
            } else {
                groups.add(current);
            }
        }
        List<int[]> out = new ArrayList<>();
        for (List<Integer> g : groups) {
            out.add(g.stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }
}
