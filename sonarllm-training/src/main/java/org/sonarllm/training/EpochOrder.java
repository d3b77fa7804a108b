package org.sonarllm.training;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.sonarllm.InvalidInputException;

/**
 * Seeded orders of an epoch's examples for {@link TrainingTask#epochBatches}: both are pure functions of
 * (seed, epoch), drawn from {@code new Random(seed * 1_000_003 + epoch)}, so a resumed run replays the
 * same batches.
 *
 * <pre>{@code
 * List<int[]> batches = EpochOrder.shuffled(100, 8, 42, 0);            // 13 batches of random documents
 * List<int[]> buckets = EpochOrder.lengthBucketed(lengths, 64, 42, 0); // similar lengths together
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class EpochOrder {
    private static final int BUCKET_BATCHES = 50;

    private EpochOrder() {}

    /**
     * A shuffled order cut into consecutive batches (the last may be smaller).
     *
     * @param n examples
     * @param batchSize examples per batch
     * @param seed run seed
     * @param epoch 0-based epoch
     * @return the batches
     */
    public static List<int[]> shuffled(int n, int batchSize, long seed, int epoch) {
        check(n, batchSize);
        List<Integer> idx = indices(n);
        Collections.shuffle(idx, random(seed, epoch));
        return cut(idx, batchSize);
    }

    /**
     * Length-bucketed batches: a shuffled order is cut into chunks of 50 batches, each chunk is sorted by
     * length and cut into batches (little padding), and the batches are shuffled.
     *
     * @param lengths length of every example
     * @param batchSize examples per batch
     * @param seed run seed
     * @param epoch 0-based epoch
     * @return the batches
     */
    public static List<int[]> lengthBucketed(int[] lengths, int batchSize, long seed, int epoch) {
        check(lengths.length, batchSize);
        Random rnd = random(seed, epoch);
        List<Integer> idx = indices(lengths.length);
        Collections.shuffle(idx, rnd);
        int chunk = batchSize * BUCKET_BATCHES;
        List<int[]> batches = new ArrayList<>();
        for (int from = 0; from < idx.size(); from += chunk) {
            List<Integer> part = new ArrayList<>(idx.subList(from, Math.min(idx.size(), from + chunk)));
            part.sort((a, b) -> Integer.compare(lengths[a], lengths[b]));
            batches.addAll(cut(part, batchSize));
        }
        Collections.shuffle(batches, rnd);
        return batches;
    }

    private static void check(int n, int batchSize) {
        if (n <= 0 || batchSize <= 0) {
            throw new InvalidInputException("expected examples and a batch size > 0, found " + n + " and " + batchSize);
        }
    }

    private static Random random(long seed, int epoch) {
        return new Random(seed * 1_000_003L + epoch);
    }

    private static List<Integer> indices(int n) {
        List<Integer> idx = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            idx.add(i);
        }
        return idx;
    }

    private static List<int[]> cut(List<Integer> order, int batchSize) {
        List<int[]> out = new ArrayList<>();
        for (int b = 0; b < order.size(); b += batchSize) {
            out.add(order.subList(b, Math.min(order.size(), b + batchSize)).stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }
}
