package org.sonarllm.onnx.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.sonarllm.InvalidInputException;
import org.sonarllm.NonFiniteOutputException;
import org.sonarllm.SonarLlmException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.encode.ConceptEncoder;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.graph.SonarEncoderGraph;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * The SONAR encoder on ONNX Runtime. Sentences are tokenized, sorted by length and cut into batches of
 * at most {@link RuntimeOptions#encoderBatchSize()} sentences and {@value #TOKENS_PER_SENTENCE} padded
 * tokens per sentence of that size, closed early rather than padding a batch by more than a fifth
 * ({@link #paddingWaste}); results come back in input order. Beyond
 * {@link ConceptEncoder} it encodes already tokenized sentences ({@link #encodeIds}).
 *
 * <p>Thread-safe (ONNX Runtime sessions accept concurrent runs); {@link #close()} is idempotent and
 * waits for running calls.
 *
 * <pre>{@code
 * try (OnnxConceptEncoder enc = OnnxConceptEncoder.open(Bundle.open(Path.of("my-bundle")))) {
 *     float[] v = enc.encode("Hello.", Language.ENGLISH);
 * }
 * // or, with the rest of the model: SonarLlm.load(bundle).onnxEncoder()
 * }</pre>
 */
public final class OnnxConceptEncoder implements ConceptEncoder {
    private final Lazy<OrtSession> session;
    private final SonarTokenizer tokenizer;
    private final LanguageCheck languages;
    private final int dim;
    private final int batchSize;
    private final int maxPositions;
    private final boolean ownsTokenizer;
    private final Guard guard = new Guard("encoder");
    /** Token budget of a batch per sentence of {@link RuntimeOptions#encoderBatchSize()} (see {@link EncoderBatches}). */
    static final int TOKENS_PER_SENTENCE = 32;
    /** Largest padding share accepted in a batch that could be closed (see {@link EncoderBatches}). */
    static final double MAX_WASTE = 0.2;

    private OnnxConceptEncoder(Path graph, RuntimeOptions o, SonarTokenizer tokenizer, LanguageCheck languages, int dim,
            int maxPositions, boolean ownsTokenizer) {
        this.session = new Lazy<>(() -> {
            OrtSession created = OrtSessions.create(graph, o);
            try {
                String f = graph.getFileName().toString();
                OrtSessions.requireInput(created, f, SonarEncoderGraph.INPUT_IDS, OnnxJavaType.INT64, -1, -1);
                OrtSessions.requireInput(created, f, SonarEncoderGraph.ATTENTION_MASK, OnnxJavaType.INT64, -1, -1);
                OrtSessions.requireOutput(created, f, SonarEncoderGraph.OUTPUT, OnnxJavaType.FLOAT, -1, dim);
                return created;
            } catch (RuntimeException e) {
                closeQuietly(created);
                throw e;
            }
        });
        if (!o.lazySessions()) {
            session.get();
        }
        this.tokenizer = tokenizer;
        this.languages = languages;
        this.dim = dim;
        this.batchSize = o.encoderBatchSize();
        this.maxPositions = maxPositions;
        this.ownsTokenizer = ownsTokenizer;
    }

    /**
     * Opens a bundle's encoder sharing a tokenizer the caller owns (and closes after this encoder).
     *
     * @param bundle a validated bundle
     * @param tokenizer the bundle's tokenizer ({@link Bundle#openTokenizer()})
     * @param options runtime options
     * @return the encoder; close it
     * @throws org.sonarllm.ModelFormatException if the graph is missing or has other inputs/outputs
     */
    public static OnnxConceptEncoder open(Bundle bundle, SonarTokenizer tokenizer, RuntimeOptions options) {
        return open(bundle, tokenizer, options, false);
    }

    /**
     * Opens a bundle's encoder on its own, with {@link RuntimeOptions#defaults()} and its own tokenizer,
     * closed with it. The converter takes this as {@code OnnxConceptEncoder::open} to embed the
     * end-of-sequence sentence of the bundle it builds.
     *
     * @param bundle a validated bundle
     * @return the encoder; close it
     * @throws org.sonarllm.ModelFormatException if the graph or the tokenizer is broken
     */
    public static OnnxConceptEncoder open(Bundle bundle) {
        SonarTokenizer tokenizer = bundle.openTokenizer();
        try {
            return open(bundle, tokenizer, RuntimeOptions.defaults(), true);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    private static OnnxConceptEncoder open(Bundle bundle, SonarTokenizer tokenizer, RuntimeOptions options,
            boolean ownsTokenizer) {
        BundleManifest m = bundle.manifest();
        return new OnnxConceptEncoder(bundle.file(BundleManifest.ENCODER), options, tokenizer,
                new LanguageCheck(m.languages().codes()), m.dimensions().model(), m.dimensions().maxPositions(),
                ownsTokenizer);
    }

    private static void closeQuietly(OrtSession s) {
        if (s == null) {
            return;
        }
        try {
            s.close();
        } catch (OrtException ignored) {
            // best effort
        }
    }

    @Override
    public int dimension() {
        return dim;
    }

    @Override
    public List<float[]> encode(List<String> sentences, Language language) {
        if (sentences == null) {
            throw new InvalidInputException("sentences must not be null");
        }
        languages.require(language);
        List<int[]> ids = new ArrayList<>(sentences.size());
        for (int i = 0; i < sentences.size(); i++) {
            String s = sentences.get(i);
            if (s == null || s.isBlank()) {
                throw new InvalidInputException("sentence " + i + " is " + (s == null ? "null" : "blank")
                        + "; expected non-blank text");
            }
            ids.add(tokenizer.encoderIds(s, language));
        }
        return encodeIds(ids);
    }

    /**
     * Encodes already tokenized sentences ({@code [lang] + pieces + [</s>]}).
     *
     * @param ids one id array per sentence
     * @return one vector per sentence, in input order
     */
    public List<float[]> encodeIds(List<int[]> ids) {
        for (int i = 0; i < ids.size(); i++) {
            int[] s = ids.get(i);
            if (s == null || s.length == 0) {
                throw new InvalidInputException("id sequence " + i + " is empty");
            }
            if (s.length > maxPositions) {
                throw new InvalidInputException("id sequence " + i + " has " + s.length
                        + " tokens; expected at most " + maxPositions);
            }
        }
        return guard.run(() -> {
            Integer[] order = new Integer[ids.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, Comparator.comparingInt(i -> ids.get(i).length));
            float[][] out = new float[ids.size()][];
            for (int[] b : EncoderBatches.plan(sortedLengths(ids, order), batchSize, tokenBudget(), MAX_WASTE)) {
                int start = b[0];
                int n = b[1] - b[0];
                int len = ids.get(order[start + n - 1]).length;
                long[] flat = new long[n * len];
                long[] mask = new long[n * len];
                Arrays.fill(flat, SonarTokenizer.PAD);
                for (int r = 0; r < n; r++) {
                    int[] s = ids.get(order[start + r]);
                    for (int t = 0; t < s.length; t++) {
                        flat[r * len + t] = s[t];
                        mask[r * len + t] = 1;
                    }
                }
                float[] res = run(flat, mask, n, len);
                for (int r = 0; r < n; r++) {
                    out[order[start + r]] = Arrays.copyOfRange(res, r * dim, (r + 1) * dim);
                }
            }
            return Arrays.asList(out);
        });
    }

    private static int[] sortedLengths(List<int[]> ids, Integer[] order) {
        int[] l = new int[order.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = ids.get(order[i]).length;
        }
        return l;
    }

    private int tokenBudget() {
        return batchSize * TOKENS_PER_SENTENCE;
    }

    /**
     * The share of padding in the batches this encoder forms for these sentences (0 = none): what
     * {@link #encodeIds} computes for nothing.
     *
     * @param ids tokenized sentences
     * @return padded cells that are padding / all padded cells
     */
    public double paddingWaste(List<int[]> ids) {
        int[] l = ids.stream().mapToInt(x -> x.length).sorted().toArray();
        return EncoderBatches.paddingWaste(l, EncoderBatches.plan(l, batchSize, tokenBudget(), MAX_WASTE));
    }

    private float[] run(long[] ids, long[] mask, int n, int len) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[] shape = {n, len};
        try (OnnxTensor ti = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
                OnnxTensor tm = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
                OrtSession.Result r = session.get().run(Map.of(SonarEncoderGraph.INPUT_IDS, ti,
                        SonarEncoderGraph.ATTENTION_MASK, tm))) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] res = new float[fb.remaining()];
            fb.get(res);
            for (int i = 0; i < res.length; i++) {
                if (!Float.isFinite(res[i])) {
                    throw new NonFiniteOutputException("encoder", "expected finite sentence embeddings, found " + res[i]
                            + " in batch row " + i / dim + " at index " + i % dim + " (broken weights?)");
                }
            }
            return res;
        } catch (OrtException e) {
            throw new SonarLlmException("encoder run failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (guard.close()) {
            closeQuietly(session.ifCreated());
            if (ownsTokenizer) {
                tokenizer.close();
            }
        }
    }
}
