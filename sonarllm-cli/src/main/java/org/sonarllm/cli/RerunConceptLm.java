package org.sonarllm.cli;

import java.util.ArrayList;
import java.util.List;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.predict.ConceptLMSession;

/**
 * A concept LM whose sessions keep no cache: every append re-runs the whole prefix through {@link
 * ConceptLM#predictAll}, as SONAR-LLM's reference {@code generate.py} does. The benchmarks' baseline
 * for the generation loop; same predictions as the cached sessions of the wrapped model.
 *
 * <p>Thread-safe as the wrapped model; its sessions are not.
 *
 * <pre>{@code
 * Generator g = SonarLlmGenerator.builder().conceptLm(new RerunConceptLm(llm.conceptLm()))...build();
 * }</pre>
 */
final class RerunConceptLm implements ConceptLM {
    private final ConceptLM lm;

    RerunConceptLm(ConceptLM lm) {
        this.lm = lm;
    }

    @Override
    public int dimension() {
        return lm.dimension();
    }

    @Override
    public int contextLimit() {
        return lm.contextLimit();
    }

    @Override
    public ConceptLMSession newSession() {
        return new Session(new ArrayList<>(), null);
    }

    /** Closing the wrapper leaves the wrapped model open (its owner closes it). */
    @Override
    public void close() {
        // the wrapped model belongs to the caller
    }

    private final class Session implements ConceptLMSession {
        private final List<float[]> seq;
        private float[] next;

        Session(List<float[]> seq, float[] next) {
            this.seq = seq;
            this.next = next;
        }

        @Override
        public List<float[]> append(List<float[]> embeddings) {
            seq.addAll(embeddings);
            List<float[]> all = lm.predictAll(seq);
            next = all.get(all.size() - 1);
            return new ArrayList<>(all.subList(all.size() - embeddings.size(), all.size()));
        }

        @Override
        public float[] predictNext() {
            if (next == null) {
                throw new IllegalStateException("nothing appended yet");
            }
            return next;
        }

        @Override
        public int length() {
            return seq.size();
        }

        @Override
        public ConceptLMSession fork() {
            return new Session(new ArrayList<>(seq), next);
        }

        @Override
        public void close() {
            // nothing native
        }
    }
}
