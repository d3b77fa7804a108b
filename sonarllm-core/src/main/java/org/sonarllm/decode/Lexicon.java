package org.sonarllm.decode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;

/**
 * The words a decoder may write: with {@link DecodingOptions#withLexicon}, every word of a decoded sentence is
 * one of these. A small decoder that reconstructs a sentence by pieces can join pieces into a non-word ("a
 * peculiil stretion"); constrained, its search keeps to the best hypothesis whose words are all real.
 *
 * <p>A <i>word</i> is a run of letters ({@link Character#isLetter}) between characters that are neither letters
 * nor numbers, compared lower-cased character by character ({@link Character#toLowerCase(int)}); a run that
 * contains a number ("3rd", "1815") is not a word and is never constrained, nor are punctuation and spaces. So
 * "Mr. Darcy's" has the words "mr", "darcy" and "s". While a word is being written a search cannot know whether a
 * number will follow, so the letters before a number must begin a word of the lexicon too ("go3" needs a word
 * beginning "go"); a run that begins with a number is free.
 *
 * <pre>{@code
 * Lexicon words = Lexicon.fromTexts(List.of(Files.readString(Path.of("emma.txt"))));
 * words.write(Path.of("lexicon.txt"));                  // one word per line
 * DecodingOptions o = DecodingOptions.beam(5).withLexicon(Lexicon.read(Path.of("lexicon.txt")));
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class Lexicon {
    /** Largest accepted lexicon, in words. */
    public static final int MAX_WORDS = 5_000_000;
    /** Longest accepted word, in chars. */
    public static final int MAX_WORD_LENGTH = 256;

    private static final State START = new State(WordTrie.ROOT, false);
    private static final State FREE = new State(WordTrie.ROOT, true);

    /**
     * Where a decoding is within a word, for {@link #extend}: the word in progress (or a run with a number); a value,
     * immutable.
     */
    public static final class State {
        private final int node;
        private final boolean free;

        private State(int node, boolean free) {
            this.node = node;
            this.free = free;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof State s && s.free == free && s.node == node;
        }

        @Override
        public int hashCode() {
            return node * 31 + (free ? 1 : 0);
        }

        @Override
        public String toString() {
            return free ? "State[number]" : "State[" + node + "]";
        }
    }

    private final Set<String> words;
    private final WordTrie trie;

    private Lexicon(Set<String> words) {
        this.words = Set.copyOf(words);
        this.trie = WordTrie.of(this.words);
    }

    /**
     * @param words words, each one run of letters; case is ignored
     * @return their lexicon
     * @throws InvalidInputException if one is empty, longer than {@value #MAX_WORD_LENGTH} chars or not a run of
     *     letters, or there are no words or more than {@value #MAX_WORDS}
     */
    public static Lexicon of(Collection<String> words) {
        if (words == null || words.isEmpty()) {
            throw new InvalidInputException("a lexicon needs at least one word");
        }
        if (words.size() > MAX_WORDS) {
            throw new InvalidInputException("expected at most " + MAX_WORDS + " words, found " + words.size());
        }
        Set<String> out = new HashSet<>();
        for (String w : words) {
            if (w == null || !isWord(w)) {
                throw new InvalidInputException("expected a word of 1.." + MAX_WORD_LENGTH
                        + " letters, found " + (w == null ? "null" : "\"" + w + "\""));
            }
            out.add(lower(w));
        }
        return new Lexicon(out);
    }

    /**
     * @param texts texts, e.g. a training corpus
     * @return the lexicon of their words (as defined above)
     * @throws InvalidInputException if they have no word
     */
    public static Lexicon fromTexts(Iterable<String> texts) {
        Set<String> out = new HashSet<>();
        for (String t : texts) {
            out.addAll(words(t));
        }
        return of(out);
    }

    /**
     * @param text a text
     * @return its words, lower-cased, in order (runs with a number left out)
     */
    public static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        int start = -1;
        boolean letters = true;
        for (int i = 0; i <= text.length(); ) {
            int cp = i < text.length() ? text.codePointAt(i) : ' ';
            if (Character.isLetter(cp) || isNumber(cp)) {
                if (start < 0) {
                    start = i;
                    letters = true;
                }
                letters &= Character.isLetter(cp);
            } else if (start >= 0) {
                if (letters) {
                    out.add(lower(text.substring(start, i)));
                }
                start = -1;
            }
            i += i < text.length() ? Character.charCount(cp) : 1;
        }
        return out;
    }

    /**
     * Reads a lexicon file: UTF-8, one word per line; blank lines are skipped.
     *
     * @param file the file
     * @return its lexicon
     * @throws ModelFormatException if it cannot be read or a line is not a word (the message names the line)
     */
    public static Lexicon read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException | UncheckedIOException e) {
            throw new ModelFormatException("cannot read lexicon " + file + ": " + e.getMessage(), e);
        }
        List<String> words = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String w = lines.get(i).strip();
            if (w.isEmpty()) {
                continue;
            }
            if (!isWord(w)) {
                throw new ModelFormatException(file + " line " + (i + 1) + ": expected a word of 1.." + MAX_WORD_LENGTH
                        + " letters, found \"" + w + "\"");
            }
            words.add(w);
        }
        if (words.isEmpty()) {
            throw new ModelFormatException(file + ": a lexicon needs at least one word");
        }
        return of(words);
    }

    /**
     * Writes the words, sorted, one per line (UTF-8), as {@link #read} reads them.
     *
     * @param file the file (replaced)
     * @throws UncheckedIOException if it cannot be written
     */
    public void write(Path file) {
        try {
            Files.write(file, new TreeSet<>(words), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write lexicon " + file, e);
        }
    }

    /** @return the number of words */
    public int size() {
        return words.size();
    }

    /**
     * @param word a word, any case
     * @return whether it is in the lexicon
     */
    public boolean contains(String word) {
        return words.contains(lower(word));
    }

    /**
     * The state of a decoding before its first character: no word in progress.
     *
     * @return the empty state
     */
    public static State start() {
        return START;
    }

    /**
     * Follows text written after a state (for a search, one piece's text): the state is the word in progress.
     *
     * @param state the state so far ({@link #start()} or a value this method returned)
     * @param text the text written next
     * @return the new state, or null if the text completes a word outside the lexicon or begins one that no word
     *     of it begins with
     */
    public State extend(State state, String text) {
        State s = state;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (isNumber(cp)) {
                s = FREE;
            } else if (Character.isLetter(cp)) {
                if (!s.free) {
                    int next = trie.child(s.node, Character.toLowerCase(cp));
                    if (next < 0) {
                        return null;
                    }
                    s = new State(next, false);
                }
            } else {
                if (!canEnd(s)) {
                    return null;
                }
                s = START;
            }
        }
        return s;
    }

    /**
     * @param state a state of {@link #extend}
     * @return whether the text may end here (no word in progress, or one of the lexicon)
     */
    public boolean canEnd(State state) {
        return state.free || state.node == WordTrie.ROOT || trie.terminal(state.node);
    }

    /** Lower-cases character by character, as a search follows a word ({@link Character#toLowerCase(int)}). */
    static String lower(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> b.appendCodePoint(Character.toLowerCase(cp)));
        return b.toString();
    }

    /** @return whether {@code w} is one run of 1..{@value #MAX_WORD_LENGTH} letters */
    private static boolean isWord(String w) {
        return !w.isEmpty() && w.length() <= MAX_WORD_LENGTH && w.codePoints().allMatch(Character::isLetter);
    }

    private static boolean isNumber(int cp) {
        int t = Character.getType(cp);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Lexicon l && l.words.equals(words);
    }

    @Override
    public int hashCode() {
        return words.hashCode();
    }

    @Override
    public String toString() {
        return "Lexicon[" + words.size() + " words]";
    }
}
