package org.sonarllm.generate;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.CancelledException;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.DecodedSentence;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.decode.DecodingStrategy;
import org.sonarllm.encode.Vectors;
import org.sonarllm.predict.ConceptLMBatch;
import org.sonarllm.segment.Segment;

/**
 * One call of the generation loop over a batch of prompts that advance together: every step makes
 * one concept-LM call, one decoder call and one re-encoder call for all prompts still running, and a
 * prompt leaves the batch when it stops. A single prompt is a batch of one. All running prompts are
 * at the same sentence index at every step (they start together), so per-sentence seeds are shared.
 * Single-threaded, not reused.
 */
final class GenerationRun {
    private static final Logger LOG = LoggerFactory.getLogger(SonarLlmGenerator.class);
    private static final long SEED_STRIDE = 0x9E3779B97F4A7C15L;

    private final SonarLlmGenerator g;
    private final GenerationOptions options;
    private final RunControl control;
    private long encodeNanos;
    private long predictNanos;
    private long decodeNanos;

    /** One prompt of the batch and what it produced so far. */
    private static final class Row {
        final GenerationListener listener;
        final List<Segment> prompt;
        List<float[]> promptVectors = List.of();
        final List<GeneratedSentence> kept = new ArrayList<>();
        String reason;

        Row(List<Segment> prompt, GenerationListener listener) {
            this.prompt = prompt;
            this.listener = listener;
        }
    }

    GenerationRun(SonarLlmGenerator g, GenerationOptions options, RunControl control) {
        this.g = g;
        this.options = options;
        this.control = control;
    }

    /** The context limit in sentences: begin sentence, prompt and generated. */
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

    /**
     * @param prompts segmented prompts, each non-empty
     * @param listeners one per prompt
     * @param segmentNanos time spent segmenting, counted as encoding
     * @param t0 {@link System#nanoTime()} at the call's start
     * @return one result per prompt, in order
     */
    List<GenerationResult> run(List<List<Segment>> prompts, List<GenerationListener> listeners, long segmentNanos,
            long t0) {
        encodeNanos = segmentNanos;
        int limit = contextLimit();
        int reserved = options.addBegin() ? 1 : 0;
        if (limit < 2 + reserved) {
            throw new InvalidInputException("context limit must leave room for " + (reserved == 1 ? "the begin sentence, " : "")
                    + "a prompt sentence and a generated one (>= " + (2 + reserved) + "), got " + limit);
        }
        List<Row> rows = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            rows.add(new Row(fit(prompts.get(i), limit, reserved), listeners.get(i)));
        }
        encodePrompts(rows);
        try (ConceptLMBatch batch = g.conceptLm().newBatch(rows.size())) {
            List<List<float[]>> first = new ArrayList<>(rows.size());
            for (Row r : rows) {
                List<float[]> seq = new ArrayList<>(reserved + r.promptVectors.size());
                if (reserved == 1) {
                    seq.add(g.beginEmbedding());
                }
                seq.addAll(r.promptVectors);
                first.add(seq);
            }
            long t = System.nanoTime();
            List<float[]> next = batch.append(first);
            predictNanos += System.nanoTime() - t;
            List<Row> live = rows;
            for (int k = 0; !live.isEmpty(); k++) {
                List<GeneratedSentence> sentences = stepOrDeadline(k, next, live.size());
                if (sentences == null) {
                    live.forEach(r -> r.reason = SonarLlmGenerator.DEADLINE);
                    break;
                }
                List<Row> going = new ArrayList<>(live.size());
                int[] keep = new int[live.size()];
                List<List<float[]>> feed = new ArrayList<>(live.size());
                for (int i = 0; i < live.size(); i++) {
                    Row r = live.get(i);
                    GeneratedSentence s = sentences.get(i);
                    if (s == null) {
                        r.reason = SonarLlmGenerator.EMPTY_SENTENCE;
                    } else if (decide(r, k, s, limit - reserved)) {
                        keep[going.size()] = i;
                        going.add(r);
                        feed.add(List.of(s.feedbackEmbedding()));
                    }
                }
                if (going.isEmpty()) {
                    break;
                }
                if (going.size() < live.size()) {
                    batch.retain(java.util.Arrays.copyOf(keep, going.size()));
                }
                t = System.nanoTime();
                next = batch.append(feed);
                predictNanos += System.nanoTime() - t;
                live = going;
            }
        }
        GenerationResult.Timings timings = new GenerationResult.Timings(Duration.ofNanos(encodeNanos),
                Duration.ofNanos(predictNanos), Duration.ofNanos(decodeNanos), Duration.ofNanos(System.nanoTime() - t0));
        List<GenerationResult> out = new ArrayList<>(rows.size());
        for (Row r : rows) {
            out.add(new GenerationResult(r.prompt, r.promptVectors, r.kept, r.reason, timings));
        }
        return out;
    }

    /** Applies the context policy: room for {@code limit - reserved - 1} prompt sentences. */
    private List<Segment> fit(List<Segment> prompt, int limit, int reserved) {
        int room = limit - reserved - 1;
        if (prompt.size() <= room) {
            return prompt;
        }
        String parts = reserved == 1 ? "begin sentence + prompt + generated" : "prompt + generated";
        if (options.contextPolicy() == ContextPolicy.FAIL) {
            throw new InvalidInputException("prompt has " + prompt.size() + " sentences but the context limit is "
                    + limit + " sentences (" + parts + "); expected at most " + room
                    + " prompt sentences (or use ContextPolicy.KEEP_LAST)");
        }
        int drop = prompt.size() - room;
        LOG.info("prompt has {} sentences, context limit {} ({}): dropping the first {} (ContextPolicy.KEEP_LAST)",
                prompt.size(), limit, parts, drop);
        return List.copyOf(prompt.subList(drop, prompt.size()));
    }

    /** Encodes every prompt sentence of every row in one call. */
    private void encodePrompts(List<Row> rows) {
        List<String> all = new ArrayList<>();
        for (Row r : rows) {
            r.prompt.forEach(s -> all.add(s.text()));
        }
        long t = System.nanoTime();
        List<float[]> vectors = g.encoder().encode(all, options.inputLanguage());
        encodeNanos += System.nanoTime() - t;
        int at = 0;
        for (Row r : rows) {
            r.promptVectors = vectors.subList(at, at + r.prompt.size());
            at += r.prompt.size();
        }
    }

    /** Asks the stop criterion, keeps and streams; @return whether the row goes on. */
    private boolean decide(Row r, int k, GeneratedSentence s, int room) {
        StopDecision d = options.stopCriterion().check(new GenerationStep(k, s, r.kept));
        if (d == null) {
            throw new IllegalStateException("stop criterion returned null at step " + k);
        }
        if (!d.stop() || d.keepSentence()) {
            r.kept.add(s);
            r.listener.onSentence(s);
        }
        if (d.stop()) {
            r.reason = d.reason();
            return false;
        }
        if (r.prompt.size() + r.kept.size() >= room) {
            r.reason = SonarLlmGenerator.CONTEXT_LIMIT;
            return false;
        }
        return true;
    }

    /** Runs one step, or returns null when the deadline passed (before it or during its decoding). */
    private List<GeneratedSentence> stepOrDeadline(int k, List<float[]> predicted, int rows) {
        if (control.cancelled()) {
            throw new CancelledException("generation cancelled");
        }
        if (control.deadlinePassed()) {
            LOG.debug("deadline passed before sentence {} ({} prompts running)", k, rows);
            return null;
        }
        try {
            return step(k, predicted);
        } catch (CancelledException e) {
            if (!control.cancelled() && control.deadlinePassed()) {
                LOG.debug("deadline passed while decoding sentence {} ({} prompts running)", k, rows);
                return null;
            }
            throw e;
        }
    }

    /**
     * Decodes the candidates of every row in one call, keeps each row's best, re-encodes the kept texts
     * in one call. @return per row its sentence, or null when every candidate decoded to blank text
     */
    private List<GeneratedSentence> step(int k, List<float[]> predicted) {
        SentenceSampling sampling = options.sentenceSampling();
        int n = sampling.candidates();
        List<float[]> candidates = new ArrayList<>(predicted.size() * n);
        for (float[] p : predicted) {
            for (int j = 0; j < n; j++) {
                candidates.add(sampling.sample(p, k, j));
            }
        }
        long t = System.nanoTime();
        List<DecodedSentence> decoded = g.decoder().decode(candidates, options.outputLanguage(), decodingFor(k), control);
        decodeNanos += System.nanoTime() - t;
        int[] best = new int[predicted.size()];
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < predicted.size(); i++) {
            best[i] = -1;
            for (int j = 0; j < n; j++) {
                DecodedSentence d = decoded.get(i * n + j);
                if (!d.text().isBlank() && (best[i] < 0 || d.score() > decoded.get(best[i]).score())) {
                    best[i] = i * n + j;
                }
            }
            if (best[i] < 0) {
                LOG.debug("sentence {} of row {} decoded to blank text: stopping", k, i);
            } else {
                texts.add(decoded.get(best[i]).text());
            }
        }
        List<float[]> reencoded = null;
        if (options.feedback() == FeedbackMode.REENCODE && !texts.isEmpty()) {
            t = System.nanoTime();
            reencoded = g.encoder().encode(texts, options.outputLanguage());
            encodeNanos += System.nanoTime() - t;
        }
        float[] eos = g.eos();
        List<GeneratedSentence> out = new ArrayList<>(predicted.size());
        int at = 0;
        for (int i = 0; i < predicted.size(); i++) {
            if (best[i] < 0) {
                out.add(null);
                continue;
            }
            DecodedSentence d = decoded.get(best[i]);
            float[] vector = candidates.get(best[i]);
            float[] feedback = reencoded != null ? reencoded.get(at++) : vector;
            out.add(new GeneratedSentence(k, d.text(), d.ids(), d.score(), vector, feedback,
                    Vectors.cosine(feedback, eos), Vectors.cosine(vector, eos)));
        }
        return out;
    }

    private DecodingOptions decodingFor(int index) {
        DecodingOptions d = options.decoding();
        if (d.strategy() instanceof DecodingStrategy.Sampling s && index > 0) {
            return new DecodingOptions(new DecodingStrategy.Sampling(s.temperature(), s.topK(), s.topP(),
                    s.seed() + index * SEED_STRIDE), d.maxTokens(), d.lexicon());
        }
        return d;
    }
}
