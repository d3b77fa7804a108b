package org.sonarllm.segment;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The sentence-boundary gold set in test resources {@code org/sonarllm/segment/gold/}: passages whose
 * sentence ends are marked with {@code <|>}. Passages in one file are separated by a line
 * {@code =====}; lines starting with {@code #} are comments.
 */
final class GoldSet {
    static final String MARK = "<|>";
    static final String[] FILES = {
        "austen-pride-and-prejudice-ch1.txt", "austen-emma-ch1.txt", "austen-persuasion-ch1.txt",
        "austen-northanger-abbey-ch1.txt", "austen-sense-and-sensibility-ch2.txt", "austen-mansfield-park-ch1.txt",
        "austen-northanger-abbey-ch3-heldout.txt",
        "hard-cases.txt",
    };

    /** One passage: its text without marks and the offsets where the marks were (sentence ends). */
    record Passage(String source, String text, TreeSet<Integer> ends) {
        /** @return the internal boundaries: every end but the one at the end of the passage */
        TreeSet<Integer> internal(Set<Integer> ends) {
            int last = text.stripTrailing().length();
            TreeSet<Integer> out = new TreeSet<>(ends);
            out.removeIf(e -> e >= last);
            return out;
        }

        /** @return whether a paragraph break follows the offset */
        boolean paragraphEnd(int offset) {
            int newlines = 0;
            for (int i = offset; i < text.length() && Character.isWhitespace(text.charAt(i)); i++) {
                if (text.charAt(i) == '\n') {
                    newlines++;
                }
            }
            return newlines >= 2;
        }
    }

    static List<Passage> load() {
        List<Passage> out = new ArrayList<>();
        for (String f : FILES) {
            String all = read("gold/" + f).replace("\r\n", "\n");
            int k = 0;
            for (String block : all.split("\n=====\n")) {
                StringBuilder sb = new StringBuilder();
                for (String line : block.split("\n", -1)) {
                    if (!line.startsWith("#")) {
                        sb.append(line).append('\n');
                    }
                }
                String marked = sb.toString().strip();
                StringBuilder text = new StringBuilder();
                TreeSet<Integer> ends = new TreeSet<>();
                int i = 0;
                while (i < marked.length()) {
                    if (marked.startsWith(MARK, i)) {
                        ends.add(text.length());
                        i += MARK.length();
                    } else {
                        text.append(marked.charAt(i++));
                    }
                }
                out.add(new Passage(f + "#" + k++, text.toString(), ends));
            }
        }
        return out;
    }

    static String read(String resource) {
        try (InputStream in = GoldSet.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Boundary precision, recall and F1 of a segmenter over the gold set. */
    record Score(int goldCount, int predicted, int correct) {
        double precision() {
            return predicted == 0 ? 0 : (double) correct / predicted;
        }

        double recall() {
            return goldCount == 0 ? 0 : (double) correct / goldCount;
        }

        double f1() {
            double p = precision();
            double r = recall();
            return p + r == 0 ? 0 : 2 * p * r / (p + r);
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "P %.4f R %.4f F1 %.4f (gold %d, predicted %d, correct %d)",
                    precision(), recall(), f1(), goldCount, predicted, correct);
        }
    }

    /**
     * @param withinParagraphOnly count only boundaries not followed by a paragraph break
     * @param errors receives one line per false positive / false negative
     */
    static Score score(SentenceSegmenter seg, List<Passage> passages, boolean withinParagraphOnly,
            List<String> errors) {
        int gold = 0;
        int pred = 0;
        int correct = 0;
        for (Passage p : passages) {
            TreeSet<Integer> g = p.internal(p.ends());
            TreeSet<Integer> s = new TreeSet<>();
            for (Segment seg1 : seg.segment(p.text())) {
                s.add(seg1.end());
            }
            s = p.internal(s);
            if (withinParagraphOnly) {
                g.removeIf(p::paragraphEnd);
                s.removeIf(p::paragraphEnd);
            }
            gold += g.size();
            pred += s.size();
            for (int e : s) {
                if (g.contains(e)) {
                    correct++;
                } else if (errors != null) {
                    errors.add("false boundary  " + p.source() + ": " + context(p.text(), e));
                }
            }
            if (errors != null) {
                for (int e : g) {
                    if (!s.contains(e)) {
                        errors.add("missed boundary " + p.source() + ": " + context(p.text(), e));
                    }
                }
            }
        }
        return new Score(gold, pred, correct);
    }

    private static String context(String text, int at) {
        String left = text.substring(Math.max(0, at - 40), at);
        String right = text.substring(at, Math.min(text.length(), at + 30));
        return (left + " <|> " + right).replace('\n', ' ');
    }
}
