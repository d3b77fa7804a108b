package org.sonarllm.training.sonar;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The running text of the training books as one sequence of SentencePiece ids, for passage examples: a
 * passage is a stretch of the text that starts at a word and, where it can, ends before a word, so it
 * may cross sentence boundaries and cut sentences, which gives the autoencoder many more distinct inputs
 * than the corpus has sentences. Immutable.
 */
final class RunningText {
    /**
     * One sentence of the text.
     *
     * @param pieces its piece ids (no language tag, no {@code </s>})
     * @param wordStart for each piece, whether it starts a word (a SentencePiece piece opening with U+2581); the
     *     first piece is taken as one whatever it says
     * @param row its index among the training sentences, or -1 for a sentence too long to be one
     */
    record Sentence(int[] pieces, boolean[] wordStart, int row) {}

    private final int[] pieces;
    private final int[] wordStarts;

    /** @param sentences the sentences in text order */
    RunningText(List<Sentence> sentences) {
        int n = sentences.stream().mapToInt(s -> s.pieces().length).sum();
        pieces = new int[n];
        int[] starts = new int[n];
        int at = 0;
        int w = 0;
        for (Sentence s : sentences) {
            for (int i = 0; i < s.pieces().length; i++) {
                if (s.wordStart()[i] || i == 0) {
                    starts[w++] = at;
                }
                pieces[at++] = s.pieces()[i];
            }
        }
        wordStarts = Arrays.copyOf(starts, w);
    }

    /** @return the number of pieces */
    int length() {
        return pieces.length;
    }

    /**
     * A passage: starts at a word chosen uniformly among those with {@code n} pieces after them, holds
     * {@code n} pieces unless that would cut a word, in which case it ends before that word (a single word
     * longer than {@code n} is kept whole up to {@code n} pieces).
     *
     * @param n pieces wanted, at least 1
     * @param rnd random source
     * @return the passage's piece ids: at most {@code n}, at least 1 unless the text is empty
     */
    int[] passage(int n, Random rnd) {
        int fits = upperBound(pieces.length - n);
        if (fits == 0) {
            return Arrays.copyOf(pieces, Math.min(n, pieces.length));
        }
        int start = wordStarts[rnd.nextInt(fits)];
        int end = start + n;
        if (end < pieces.length) {
            int next = upperBound(end) - 1;
            if (wordStarts[next] != end && wordStarts[next] > start) {
                end = wordStarts[next];
            }
        }
        return Arrays.copyOfRange(pieces, start, end);
    }

    /** @return the number of word starts at or before position {@code p} */
    private int upperBound(int p) {
        int i = Arrays.binarySearch(wordStarts, p);
        return i >= 0 ? i + 1 : -i - 1;
    }
}
