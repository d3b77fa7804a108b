package org.sonarllm.segment;

import java.util.ArrayList;
import java.util.List;
import opennlp.tools.sentdetect.SentenceDetectorME;
import opennlp.tools.sentdetect.SentenceModel;
import opennlp.tools.util.Span;
import org.sonarllm.InvalidInputException;

/**
 * OpenNLP alone (paragraph breaks still end sentences): the baseline the refined segmenter is
 * measured against. Not used by default.
 */
final class OpenNlpSegmenter implements SentenceSegmenter {
    private final ThreadLocal<SentenceDetectorME> detector;

    OpenNlpSegmenter(SentenceModel model) {
        this.detector = ThreadLocal.withInitial(() -> new SentenceDetectorME(model));
    }

    @Override
    public List<Segment> segment(String text) {
        if (text == null) {
            throw new InvalidInputException("text must not be null");
        }
        List<Segment> out = new ArrayList<>();
        for (int[] para : Paragraphs.split(text)) {
            int start = para[0];
            for (Span s : detector.get().sentPosDetect(Paragraphs.flatten(text, para[0], para[1]))) {
                int end = para[0] + s.getEnd();
                if (end > start) {
                    Paragraphs.emit(text, start, end, out);
                    start = end;
                }
            }
            Paragraphs.emit(text, start, para[1], out);
        }
        return out;
    }
}
