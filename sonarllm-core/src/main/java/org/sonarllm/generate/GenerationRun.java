package org.sonarllm.generate;

import org.sonarllm.encode.Vectors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.decode.DecodingStrategy;
import org.sonarllm.predict.ConceptLMSession;
import org.sonarllm.segment.Segment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One call of the generation loop (single-threaded, not reused). */
final class GenerationRun {
    private static final Logger LOG = LoggerFactory.getLogger(SonarLlmGenerator.class);
    private static final long SEED_STRIDE = 0x9E3779B97F4A7C15L;

    private final SonarLlmGenerator g;
    private final GenerationOptions options;
    private final GenerationListener listener;
    private long encodeNanos;
    private long predictNanos;
    private long decodeNanos;

    GenerationRun(SonarLlmGenerator g, GenerationOptions options, GenerationListener listener) {
        this.g = g;
        this.options = options;
        this.listener = listener;
    }

    /** The context limit in sentences, prompt plus generated. */
    int contextLimit() {
        int model = g.conceptLm().contextLimit();
        int asked = options.contextLimit();
        if (asked == 0) {
            return model;
        }
        if (asked > model) {
            throw new InvalidInputException("context limit " + asked + " exceeds the concept LM's limit of "
                    + model + " sentences");
        }
        return asked;
    }

    GenerationResult run(List<Segment> segments, long segmentNanos, long t0) {
        encodeNanos = segmentNanos;
        int limit = contextLimit();
        if (limit < 2) {
            throw new InvalidInputException("context limit must leave room for a prompt sentence and a generated one"
                    + " (>= 2), got " + limit);
        }
        List<Segment> prompt = segments;
        if (prompt.size() >= limit) {
            if (options.contextPolicy() == ContextPolicy.FAIL) {
                throw new InvalidInputException("prompt has " + prompt.size() + " sentences but the context limit is "
                        + limit + " sentences (prompt + generated); expected at most " + (limit - 1)
                        + " prompt sentences (or use ContextPolicy.KEEP_LAST)");
            }
            int drop = prompt.size() - (limit - 1);
            LOG.info("prompt has {} sentences, context limit {}: dropping the first {} (ContextPolicy.KEEP_LAST)",
                    prompt.size(), limit, drop);
            prompt = List.copyOf(prompt.subList(drop, prompt.size()));
        }
        long t = System.nanoTime();
        List<float[]> promptVectors = g.encoder().encode(prompt.stream().map(Segment::text).toList(),
                options.inputLanguage());
        encodeNanos += System.nanoTime() - t;

        List<GeneratedSentence> kept = new ArrayList<>();
        String reason;
        try (ConceptLMSession session = g.conceptLm().newSession()) {
            t = System.nanoTime();
            float[] predicted = last(session.append(promptVectors));
            predictNanos += System.nanoTime() - t;
            int index = 0;
            while (true) {
                GeneratedSentence s = step(index, predicted);
                if (s == null) {
                    reason = SonarLlmGenerator.EMPTY_SENTENCE;
                    break;
                }
                StopDecision d = options.stopCriterion().check(new GenerationStep(index, s));
                if (d == null) {
                    throw new IllegalStateException("stop criterion returned null at step " + index);
                }
                if (!d.stop() || d.keepSentence()) {
                    kept.add(s);
                    listener.onSentence(s);
                }
                if (d.stop()) {
                    reason = d.reason();
                    break;
                }
                if (prompt.size() + kept.size() >= limit) {
                    reason = SonarLlmGenerator.CONTEXT_LIMIT;
                    break;
                }
                t = System.nanoTime();
                predicted = session.append(s.feedbackEmbedding());
                predictNanos += System.nanoTime() - t;
                index++;
            }
        }
        GenerationResult.Timings timings = new GenerationResult.Timings(Duration.ofNanos(encodeNanos),
                Duration.ofNanos(predictNanos), Duration.ofNanos(decodeNanos), Duration.ofNanos(System.nanoTime() - t0));
        return new GenerationResult(prompt, promptVectors, kept, reason, timings);
    }

    /** Decodes (and re-encodes) one prediction; null when it decodes to blank text. */
    private GeneratedSentence step(int index, float[] predicted) {
        long t = System.nanoTime();
        DecodedSentence dec = g.decoder().decode(predicted, options.outputLanguage(), decodingFor(index));
        decodeNanos += System.nanoTime() - t;
        if (dec.text().isBlank()) {
            LOG.debug("sentence {} decoded to blank text (ids {}): stopping", index, dec.ids().length);
            return null;
        }
        float[] feedback;
        if (options.feedback() == FeedbackMode.REENCODE) {
            t = System.nanoTime();
            feedback = g.encoder().encode(dec.text(), options.outputLanguage());
            encodeNanos += System.nanoTime() - t;
        } else {
            feedback = predicted;
        }
        float[] eos = g.eos();
        return new GeneratedSentence(index, dec.text(), dec.ids(), dec.score(), predicted, feedback,
                Vectors.cosine(feedback, eos), Vectors.cosine(predicted, eos));
    }

    private DecodingOptions decodingFor(int index) {
        DecodingOptions d = options.decoding();
        if (d.strategy() instanceof DecodingStrategy.Sampling s && index > 0) {
            return new DecodingOptions(new DecodingStrategy.Sampling(s.temperature(), s.topK(), s.topP(),
                    s.seed() + index * SEED_STRIDE), d.maxTokens());
        }
        return d;
    }

    private static float[] last(List<float[]> rows) {
        return rows.get(rows.size() - 1);
    }

}
