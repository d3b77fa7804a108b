package org.sonarllm.generate;

import org.sonarllm.model.ConceptLMConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.ConceptDecoder;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.encode.ConceptEncoder;
import org.sonarllm.lang.Language;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.predict.ConceptLMSession;
import org.sonarllm.segment.Segment;
import org.sonarllm.segment.SentenceSegmenter;

/**
 * Hand-written deterministic components over 3-dim vectors, so the loop's outcomes can be computed
 * by hand. Sentence "S<x>" encodes to [x, 1, 0]; "End of sequence." to [0, 0, 1]; "Begin of text." to
 * [0, 2, 0]. The decoder writes "S" + v[0] (as Java prints a float), "End of sequence." when v[2] >
 * 0.5, and "" when v[0] < 0; its score is -v[0]. The concept LM predicts [sum x[0] + sum x[1], 0.5, 0]
 * from all vectors so far (or what a given rule says), or the EOS vector once the sequence holds
 * {@code eosAt} vectors. The LM counts its open sessions; the encoder and decoder record every call.
 */
final class TableComponents {
    static final float[] EOS = {0, 0, 1};
    static final float[] BEGIN = {0, 2, 0};

    private TableComponents() {}

    /** Splits on white space: every word is a sentence. */
    static final class WordSegmenter implements SentenceSegmenter {
        @Override
        public List<Segment> segment(String text) {
            List<Segment> out = new ArrayList<>();
            int i = 0;
            while (i < text.length()) {
                while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
                    i++;
                }
                int s = i;
                while (i < text.length() && !Character.isWhitespace(text.charAt(i))) {
                    i++;
                }
                if (i > s) {
                    out.add(new Segment(text.substring(s, i), s, i));
                }
            }
            return out;
        }
    }

    static final class Encoder implements ConceptEncoder {
        final List<Language> languages = new CopyOnWriteArrayList<>();
        final List<List<String>> calls = new CopyOnWriteArrayList<>();

        @Override
        public int dimension() {
            return 3;
        }

        @Override
        public List<float[]> encode(List<String> sentences, Language language) {
            languages.add(language);
            calls.add(List.copyOf(sentences));
            List<float[]> out = new ArrayList<>();
            for (String s : sentences) {
                if (s == null || s.isBlank()) {
                    throw new InvalidInputException("blank sentence");
                }
                out.add(s.equals(ConceptLMConfig.EOS_TEXT) ? EOS.clone()
                        : s.equals(GenerationOptions.BEGIN_TEXT) ? BEGIN.clone()
                        : new float[] {Float.parseFloat(s.substring(1)), 1, 0});
            }
            return out;
        }

        @Override
        public void close() {}
    }

    static final class Decoder implements ConceptDecoder {
        final List<DecodingOptions> seen = new CopyOnWriteArrayList<>();
        final List<Language> languages = new CopyOnWriteArrayList<>();
        final List<Integer> batchSizes = new CopyOnWriteArrayList<>();

        @Override
        public int dimension() {
            return 3;
        }

        @Override
        public List<DecodedSentence> decode(List<float[]> embeddings, Language language, DecodingOptions options) {
            seen.add(options);
            languages.add(language);
            batchSizes.add(embeddings.size());
            List<DecodedSentence> out = new ArrayList<>();
            for (float[] v : embeddings) {
                String text = v[2] > 0.5f ? ConceptLMConfig.EOS_TEXT : v[0] < 0 ? "" : "S" + v[0];
                out.add(new DecodedSentence(text, new int[] {Math.round(v[0]), 2}, -v[0]));
            }
            return out;
        }

        @Override
        public void close() {}
    }

    static final class LM implements ConceptLM {
        final int limit;
        final int eosAt;
        final Function<List<float[]>, float[]> rule;
        final AtomicInteger open = new AtomicInteger();

        LM(int limit, int eosAt) {
            this(limit, eosAt, LM::sum);
        }

        /** @param rule the prediction from the whole sequence so far */
        LM(int limit, int eosAt, Function<List<float[]>, float[]> rule) {
            this.limit = limit;
            this.eosAt = eosAt;
            this.rule = rule;
        }

        static float[] sum(List<float[]> seq) {
            float s = 0;
            for (float[] v : seq) {
                s += v[0] + v[1];
            }
            return new float[] {s, 0.5f, 0};
        }

        @Override
        public int dimension() {
            return 3;
        }

        @Override
        public int contextLimit() {
            return limit;
        }

        @Override
        public ConceptLMSession newSession() {
            return new Session(new ArrayList<>());
        }

        @Override
        public void close() {}

        final class Session implements ConceptLMSession {
            final List<float[]> seq;
            float[] next;
            boolean closed;

            Session(List<float[]> seq) {
                this.seq = seq;
                open.incrementAndGet();
            }

            @Override
            public List<float[]> append(List<float[]> embeddings) {
                if (seq.size() + embeddings.size() > limit) {
                    throw new InvalidInputException("over the context limit");
                }
                List<float[]> out = new ArrayList<>();
                for (float[] e : embeddings) {
                    seq.add(e.clone());
                    out.add(seq.size() >= eosAt ? EOS.clone() : rule.apply(seq));
                }
                next = out.get(out.size() - 1);
                return out;
            }

            @Override
            public float[] predictNext() {
                return next.clone();
            }

            @Override
            public int length() {
                return seq.size();
            }

            @Override
            public ConceptLMSession fork() {
                Session s = new Session(new ArrayList<>(seq));
                s.next = next;
                return s;
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    open.decrementAndGet();
                }
            }
        }
    }
}
