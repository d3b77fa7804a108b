package org.sonarllm.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.onnx.graph.ConceptLmGraph;
import org.sonarllm.onnx.graph.GraphWeights;
import org.sonarllm.onnx.graph.OnnxGraphBuilder;
import org.sonarllm.onnx.runtime.OnnxConceptLm;
import org.sonarllm.onnx.runtime.RuntimeOptions;
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.onnx.weights.SafeTensorsWriter;
import org.sonarllm.predict.ConceptLM;
import org.sonarllm.predict.ConceptLMSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm bench-generate}: the concept-LM part of generation with the key/value cache
 * (append one sentence per step) against re-running the whole prefix every step (what SONAR-LLM's
 * reference {@code generate.py} does), on a random-weight model of a realistic shape, plus the
 * paper's analytic FLOPs comparison for that shape. Decoding and re-encoding cost the same in both
 * modes and are left out, so the ratio is the concept LM's own.
 *
 * <pre>{@code
 * ./sonarllm bench-generate --sentences 256 --uncached-up-to 128
 * }</pre>
 */
@Command(name = "bench-generate", mixinStandardHelpOptions = true,
        description = "Benchmark concept-LM generation with KV cache vs. re-running the prefix, and print the FLOPs model.")
final class BenchGenerateCommand extends CliCommand {
    @Option(names = "--sonar-dim", defaultValue = "1024", description = "Concept vector size (default ${DEFAULT-VALUE}).")
    int sonarDim;
    @Option(names = "--hidden", defaultValue = "1024", description = "Llama hidden size (default ${DEFAULT-VALUE}).")
    int hidden;
    @Option(names = "--layers", defaultValue = "10", description = "Llama layers (default ${DEFAULT-VALUE}).")
    int layers;
    @Option(names = "--heads", defaultValue = "16", description = "Attention heads (default ${DEFAULT-VALUE}).")
    int heads;
    @Option(names = "--kv-heads", defaultValue = "16", description = "Key/value heads (default ${DEFAULT-VALUE}).")
    int kvHeads;
    @Option(names = "--head-dim", defaultValue = "64", description = "Head size (default ${DEFAULT-VALUE}).")
    int headDim;
    @Option(names = "--intermediate", defaultValue = "4096", description = "SwiGLU size (default ${DEFAULT-VALUE}).")
    int intermediate;
    @Option(names = "--prompt", defaultValue = "4", description = "Prompt sentences (default ${DEFAULT-VALUE}).")
    int prompt;
    @Option(names = "--sentences", defaultValue = "256", description = "Generated sentences, max (default ${DEFAULT-VALUE}).")
    int sentences;
    @Option(names = "--uncached-up-to", defaultValue = "256",
            description = "Stop the re-run-the-prefix mode after this many sentences (it is quadratic; default ${DEFAULT-VALUE}).")
    int uncachedUpTo;
    @Option(names = "--threads", defaultValue = "0", description = "ORT intra-op threads, 0 = ORT default.")
    int threads;
    @Option(names = "--tokens-per-sentence", defaultValue = "60", description = "For the FLOPs model (default ${DEFAULT-VALUE}).")
    int tokensPerSentence;
    @Option(names = "--flops-only", description = "Only print the FLOPs model.")
    boolean flopsOnly;
    @Option(names = "--batch-rows", defaultValue = "0", paramLabel = "N",
            description = "Also time N sequences stepped as one batch against N sessions (default ${DEFAULT-VALUE}: off).")
    int batchRows;
    @Option(names = "--batch-steps", defaultValue = "16", paramLabel = "N",
            description = "Steps of the --batch-rows comparison (default ${DEFAULT-VALUE}).")
    int batchSteps;
    @Override
    protected int run() throws Exception {
        PrintWriter out = new PrintWriter(main.out, true);
        ConceptLMConfig c = ConceptLMConfig.llama(sonarDim, hidden, layers, heads, kvHeads, headDim, intermediate);
        printFlops(out);
        if (flopsOnly) {
            return 0;
        }
        Path dir = Files.createTempDirectory("bench-clm");
        try {
            Path model = dir.resolve("concept-lm.onnx");
            long t0 = System.nanoTime();
            // as a bundle holds it (format 2): the weights once as safetensors, the graph referencing them
            Path weights = dir.resolve("concept-lm.safetensors");
            SafeTensorsWriter w = new SafeTensorsWriter();
            c.parameterShapes().forEach((key, shape) -> w.add(key, shape, () -> randomWeights(42, key, shape)));
            w.write(weights);
            OnnxGraphBuilder g = new OnnxGraphBuilder("bench_concept_lm");
            try (SafeTensors st = SafeTensors.open(weights)) {
                ConceptLmGraph.build(g, c, GraphWeights.external(st));
            }
            g.write(model);
            double params = FlopsModel.llamaParams(layers, hidden, heads * headDim, kvHeads * headDim, intermediate);
            out.printf("random concept LM: sonar_dim %d, hidden %d, %d layers, %dx%d heads (%d kv), ffn %d: %.1fM params"
                    + " (built in %.1f s)%n", sonarDim, hidden, layers, heads, headDim, kvHeads, intermediate, params / 1e6,
                    (System.nanoTime() - t0) / 1e9);
            RuntimeOptions ro = RuntimeOptions.builder().intraOpThreads(threads).verifyHashes(false).build();
            try (ConceptLM lm = OnnxConceptLm.open(model, Math.max(prompt + sentences, 5 + batchSteps) + 1, ro)) {
                run(lm, out);
            }
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }

    private void run(ConceptLM lm, PrintWriter out) {
        SplittableRandom r = new SplittableRandom(7);
        List<float[]> promptVecs = new ArrayList<>();
        for (int i = 0; i < prompt; i++) {
            promptVecs.add(gaussian(r, sonarDim, 0.05));
        }
        // warm-up
        try (ConceptLMSession s = lm.newSession()) {
            s.append(promptVecs);
            for (int i = 0; i < 3; i++) {
                s.append(s.predictNext());
            }
        }
        lm.predictAll(promptVecs);

        List<Integer> marks = new ArrayList<>();
        for (int n = 1; n <= sentences; n *= 2) {
            marks.add(n);
        }
        if (marks.get(marks.size() - 1) != sentences) {
            marks.add(sentences);
        }
        double[] cached = new double[sentences + 1];
        List<float[]> cachedOut = new ArrayList<>();
        long t0 = System.nanoTime();
        try (ConceptLMSession s = lm.newSession()) {
            float[] next = s.append(promptVecs).get(prompt - 1);
            for (int k = 1; k <= sentences; k++) {
                cachedOut.add(next);
                next = s.append(next);
                cached[k] = (System.nanoTime() - t0) / 1e6;
            }
        }
        int un = Math.min(uncachedUpTo, sentences);
        double[] uncached = new double[un + 1];
        double maxDiff = 0;
        List<float[]> seq = new ArrayList<>(promptVecs);
        t0 = System.nanoTime();
        for (int k = 1; k <= un; k++) {
            List<float[]> all = lm.predictAll(seq);
            float[] next = all.get(all.size() - 1);
            seq.add(next);
            uncached[k] = (System.nanoTime() - t0) / 1e6;
            float[] ref = cachedOut.get(k - 1);
            for (int i = 0; i < next.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(next[i] - ref[i]));
            }
        }
        out.printf("prompt %d sentences; each step appends the predicted vector (decoder/encoder excluded)%n", prompt);
        out.printf("%10s %14s %14s %10s %16s%n", "sentences", "cached ms", "re-run ms", "speed-up", "cached ms/step");
        for (int n : marks) {
            double perStep = n == 1 ? cached[1] : (cached[n] - cached[n / 2]) / (n - n / 2);
            if (n <= un) {
                out.printf("%10d %14.1f %14.1f %9.1fx %16.2f%n", n, cached[n], uncached[n], uncached[n] / cached[n], perStep);
            } else {
                out.printf("%10d %14.1f %14s %10s %16.2f%n", n, cached[n], "-", "-", perStep);
            }
        }
        out.printf("max |cached - re-run| over %d predictions: %.2e%n", un, maxDiff);
        if (batchRows > 0) {
            batched(lm, out);
        }
    }

    /**
     * {@code --batch-rows} sequences with prompts of 2 to 5 vectors, stepped {@code --batch-steps} times:
     * one {@code ConceptLMBatch} call per step for all of them against one session call per sequence.
     */
    private void batched(ConceptLM lm, PrintWriter out) {
        SplittableRandom r = new SplittableRandom(11);
        List<List<float[]>> prompts = new ArrayList<>();
        for (int i = 0; i < batchRows; i++) {
            List<float[]> p = new ArrayList<>();
            for (int j = 0; j < 2 + i % 4; j++) {
                p.add(gaussian(r, sonarDim, 0.05));
            }
            prompts.add(p);
        }
        List<float[]> viaBatch = new ArrayList<>();
        long t0 = System.nanoTime();
        try (org.sonarllm.predict.ConceptLMBatch b = lm.newBatch(batchRows)) {
            List<float[]> next = b.append(prompts);
            for (int k = 0; k < batchSteps; k++) {
                next = b.append(next.stream().map(List::of).toList());
            }
            viaBatch.addAll(next);
        }
        double batchMs = (System.nanoTime() - t0) / 1e6;
        List<ConceptLMSession> sessions = new ArrayList<>();
        double maxDiff = 0;
        t0 = System.nanoTime();
        try {
            List<float[]> next = new ArrayList<>();
            for (List<float[]> p : prompts) {
                ConceptLMSession s = lm.newSession();
                sessions.add(s);
                List<float[]> o = s.append(p);
                next.add(o.get(o.size() - 1));
            }
            for (int k = 0; k < batchSteps; k++) {
                for (int i = 0; i < batchRows; i++) {
                    next.set(i, sessions.get(i).append(next.get(i)));
                }
            }
            double sessionMs = (System.nanoTime() - t0) / 1e6;
            for (int i = 0; i < batchRows; i++) {
                for (int j = 0; j < sonarDim; j++) {
                    maxDiff = Math.max(maxDiff, Math.abs(next.get(i)[j] - viaBatch.get(i)[j]));
                }
            }
            out.printf("%d sequences (prompts of 2-5 vectors), %d steps: one batch %.1f ms (%.1f ms/step), %d sessions"
                    + " %.1f ms (%.1f ms/step): %.1fx; max |batch - sessions| %.2e%n", batchRows, batchSteps, batchMs,
                    batchMs / (batchSteps + 1), batchRows, sessionMs, sessionMs / (batchSteps + 1), sessionMs / batchMs,
                    maxDiff);
        } finally {
            sessions.forEach(ConceptLMSession::close);
        }
    }

    private void printFlops(PrintWriter out) {
        FlopsModel m = FlopsModel.paperShapes(sonarDim, hidden, intermediate, layers, heads, headDim, tokensPerSentence);
        out.printf("FLOPs model (token LLM and concept LM of this Llama shape, %.0fM non-embedding params; released SONAR"
                + " encoder/decoder; %d tokens per sentence):%n", m.llmParams() / 1e6, tokensPerSentence);
        out.printf("%10s %16s %16s %10s%n", "tokens", "token LLM", "SONAR-LLM", "LLM/SONAR");
        for (long l = 512; l <= 131072; l *= 2) {
            out.printf("%10d %16.3e %16.3e %10.2f%n", l, m.tokenLlm(l), m.sonarLlm(l), m.tokenLlm(l) / m.sonarLlm(l));
        }
        long x = m.crossover();
        out.printf("crossover (SONAR-LLM cheaper from): %s tokens%n", x < 0 ? "none below 16M" : Long.toString(x));
    }

    private static float[] randomWeights(long seed, String key, long[] shape) {
        SplittableRandom r = new SplittableRandom(seed ^ key.hashCode());
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        if (key.endsWith("layernorm.weight") || key.endsWith("norm.weight")) {
            float[] w = new float[n];
            java.util.Arrays.fill(w, 1f);
            return w;
        }
        double std = shape.length == 2 ? 1 / Math.sqrt(shape[1]) : 0.02;
        return gaussian(r, n, std);
    }

    private static float[] gaussian(SplittableRandom r, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i += 2) {
            double u1 = r.nextDouble(1e-300, 1.0);
            double u2 = r.nextDouble();
            double rad = Math.sqrt(-2 * Math.log(u1)) * std;
            v[i] = (float) (rad * Math.cos(2 * Math.PI * u2));
            if (i + 1 < n) {
                v[i + 1] = (float) (rad * Math.sin(2 * Math.PI * u2));
            }
        }
        return v;
    }
}
