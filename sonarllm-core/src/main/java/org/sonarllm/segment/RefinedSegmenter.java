package org.sonarllm.segment;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import opennlp.tools.sentdetect.SentenceDetectorME;
import opennlp.tools.sentdetect.SentenceModel;
import opennlp.tools.util.Span;
import org.sonarllm.InvalidInputException;

/**
 * The default segmenter: paragraph breaks always end a sentence; inside a paragraph {@link
 * BoundaryRules} find and judge candidate ends, and an OpenNLP model (when given) settles the
 * cases the rules only lean on. Thread-safe: the OpenNLP model is shared, each thread gets its own
 * {@link SentenceDetectorME} (which is not thread-safe).
 */
final class RefinedSegmenter implements SentenceSegmenter {
    private final BoundaryRules rules;
    private final ThreadLocal<SentenceDetectorME> detector;
    private final String description;

    RefinedSegmenter(Abbreviations abbr, SentenceModel model, String description) {
        this.rules = new BoundaryRules(abbr);
        this.detector = model == null ? null : ThreadLocal.withInitial(() -> new SentenceDetectorME(model));
        this.description = description;
    }

    @Override
    public List<Segment> segment(String text) {
        if (text == null) {
            throw new InvalidInputException("text must not be null");
        }
        List<Segment> out = new ArrayList<>();
        for (int[] para : Paragraphs.split(text)) {
            int from = para[0];
            int to = para[1];
            List<BoundaryRules.Candidate> cands = rules.candidates(text, from, to);
            TreeSet<Integer> statistical = null;
            int start = from;
            for (BoundaryRules.Candidate c : cands) {
                boolean cut;
                switch (c.decision()) {
                    case YES -> cut = true;
                    case NO -> cut = false;
                    default -> {
                        if (detector == null) {
                            cut = c.decision() == BoundaryRules.Decision.LEAN_YES;
                        } else {
                            if (statistical == null) {
                                statistical = openNlpEnds(text, from, to);
                            }
                            Integer hit = statistical.ceiling(c.coreEnd());
                            cut = hit != null && hit <= c.pos();
                        }
                    }
                }
                if (cut) {
                    Paragraphs.emit(text, start, c.pos(), out);
                    start = c.pos();
                }
            }
            Paragraphs.emit(text, start, to, out);
        }
        return out;
    }

    private TreeSet<Integer> openNlpEnds(String text, int from, int to) {
        TreeSet<Integer> ends = new TreeSet<>();
        for (Span s : detector.get().sentPosDetect(Paragraphs.flatten(text, from, to))) {
            ends.add(from + s.getEnd());
        }
        return ends;
    }

    @Override
    public String toString() {
        return description;
    }
}
