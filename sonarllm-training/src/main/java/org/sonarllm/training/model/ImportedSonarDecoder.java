package org.sonarllm.training.model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.training.internal.Nd4jOutput;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.onnx.graph.TeacherForcingDecoderGraph;

/**
 * The frozen SONAR decoder of training: a bundle's teacher-forcing graph ({@code decoder_training.onnx},
 * written by the converter with {@link TeacherForcingDecoderGraph#buildWithPositionInput}) imported by
 * ND4J's ONNX importer ({@link DecoderGraphs}: in bundle format 2 its weights are graph inputs, set from
 * {@code decoder.safetensors} after the import and made constants; in format 1 they are inside the graph).
 * After import every {@code Mmul} gets {@code alpha = 1, beta = 0} (the importer leaves Gemm's defaults
 * unresolved) and every variable becomes a constant, so nothing in the decoder is trainable; its gradient
 * function computes no weight gradient ({@link BackwardRewrites}).
 *
 * <p>Training uses the graph up to the final decoder states {@code h [b*t, d]} (the input of its output
 * projection); the vocabulary-sized rest (projection onto the output table, log-softmax, cross-entropy
 * with integer targets) runs in the shared {@link VocabularyHead}, and {@code dLoss/dh} is fed back
 * through the surrogate {@code sum(h * dLoss/dh)} to get {@code dLoss/dEmbedding}, in one pass: the head
 * runs while the gradient call's forward pass produces {@code h} ({@link OnePassGradient}).
 *
 * <p>Inputs: {@link TeacherForcingDecoderGraph#INPUT_IDS} {@code [b, t]} int64,
 * {@link TeacherForcingDecoderGraph#POSITION_IDS} {@code [b, t]} int64 (built by {@link #feeds}) and
 * {@link TeacherForcingDecoderGraph#EMBEDDING} {@code [b, d]} float.
 *
 * <pre>{@code
 * ImportedSonarDecoder dec = ImportedSonarDecoder.fromBundle(Path.of("my-bundle"));
 * ImportedSonarDecoder.LossAndGradient r = dec.crossEntropy(decoderInputIds, labels, embeddings);
 * double loss = r.loss(); INDArray dLdE = r.gradient(); // [b, d]
 * }</pre>
 *
 * <p>Not thread-safe: a SameDiff instance must not run concurrently; use {@link #copy()} per thread.
 */
public final class ImportedSonarDecoder {
    static final String HIDDEN_GRAD = "head_hidden_grad";
    private static final Logger LOG = LoggerFactory.getLogger(ImportedSonarDecoder.class);

    private final SameDiff sd;
    private final Path onnx;
    private final DecoderGraphs.Weights weights;
    private final Map<String, INDArray> weightFeeds;
    private final int dimension;
    private final int padId;
    private final int maxPositions;
    private final String hidden;
    private final VocabularyHead head;
    private boolean differentiable;
    private OnePassGradient onePass;

    private ImportedSonarDecoder(SameDiff sd, Map<String, INDArray> weightFeeds, Path onnx, DecoderGraphs.Weights weights,
            int dimension, int padId, int maxPositions, String hidden, INDArray table) {
        this.sd = sd;
        this.weightFeeds = weightFeeds;
        this.onnx = onnx;
        this.weights = weights;
        this.dimension = dimension;
        this.padId = padId;
        this.maxPositions = maxPositions;
        this.hidden = hidden;
        this.head = new VocabularyHead(table);
    }

    /**
     * Imports, patches and freezes the training decoder graph of a model bundle.
     *
     * @param bundleDir a bundle directory
     * @return the imported decoder
     * @throws ModelFormatException if the bundle is invalid or its graph cannot be imported
     */
    public static ImportedSonarDecoder fromBundle(Path bundleDir) {
        Bundle bundle = Bundle.open(bundleDir);
        BundleManifest m = bundle.manifest();
        BundleManifest.Component c = m.components().get(BundleManifest.DECODER_TRAINING);
        if (c == null) {
            throw new ModelFormatException(bundleDir + ": expected a " + BundleManifest.DECODER_TRAINING
                    + " component (the frozen decoder for training), found none");
        }
        // format 2: the weights file is listed with the graph; format 1: the graph holds its weights
        DecoderGraphs.Weights w = c.files().stream().map(BundleManifest.FileEntry::path)
                .filter(p -> p.endsWith(".safetensors")).findFirst()
                .map(p -> DecoderGraphs.Weights.of(bundleDir.resolve(p))).orElse(null);
        return importFile(bundle.file(BundleManifest.DECODER_TRAINING), w, m.dimensions().model(),
                m.specialIds().pad(), m.dimensions().maxPositions(), m.dimensions().vocab());
    }

    /**
     * Imports a teacher-forcing graph file (the bundle's, or one a test builds from weights).
     *
     * @param onnx the graph @param weights its weights file when they are graph inputs, else null
     * @param d sentence size @param pad padding id @param maxPos longest input @param vocab vocabulary
     * @return the imported, frozen decoder
     */
    static ImportedSonarDecoder importFile(Path onnx, DecoderGraphs.Weights weights, int d, int pad, int maxPos,
            int vocab) {
        DecoderGraphs.Imported imported = DecoderGraphs.importGraph(onnx, weights, List.of(
                TeacherForcingDecoderGraph.INPUT_IDS, TeacherForcingDecoderGraph.POSITION_IDS,
                TeacherForcingDecoderGraph.EMBEDDING));
        SameDiff sd = imported.sd();
        Map<String, INDArray> weightFeeds = imported.weightFeeds();
        int patched = 0;
        for (DifferentialFunction op : sd.ops()) {
            if (op instanceof Mmul m) {
                while (m.numTArguments() > 0) {
                    m.removeTArgument(m.getTArgument(0));
                }
                m.addTArgument(1.0, 0.0);
                m.setPropertiesForFunction(new HashMap<>(Map.of("alpha", 1.0, "beta", 0.0)));
                patched++;
            }
        }
        List<SDVariable> vars = new ArrayList<>();
        for (SDVariable v : sd.variables()) {
            if (v.getVariableType() == VariableType.VARIABLE) {
                vars.add(v);
            }
        }
        if (!vars.isEmpty()) {
            sd.convertToConstants(vars);
        }
        LOG.debug("imported decoder: {} ops, {} Mmul patched, {} variables frozen", sd.ops().length, patched, vars.size());
        DifferentialFunction projection = producer(sd, producer(sd, sd.getVariable(TeacherForcingDecoderGraph.LOGITS),
                onnx).args()[0], onnx);
        SDVariable[] in = projection.args();
        INDArray table = in.length < 2 ? null : in[1].getVariableType() == VariableType.CONSTANT ? in[1].getArr()
                : weightFeeds.get(in[1].name());
        if (!(projection instanceof Mmul) || table == null || !java.util.Arrays.equals(table.shape(), new long[] {vocab, d})) {
            throw new ModelFormatException(onnx + ": expected logits = hidden x output table [" + vocab + ", " + d
                    + "]^T, found " + projection.getClass().getSimpleName() + " of " + in.length + " inputs");
        }
        return new ImportedSonarDecoder(sd, weightFeeds, onnx, weights, d, pad, maxPos, in[0].name(), table);
    }

    private static DifferentialFunction producer(SameDiff sd, SDVariable v, Path onnx) {
        DifferentialFunction op = v == null ? null : sd.getVariableOutputOp(v.name());
        if (op == null) {
            throw new ModelFormatException(onnx + ": expected the logits to be computed by the graph, found an input");
        }
        return op;
    }

    /**
     * @return an independent copy (the same graph file imported again; weights read from a weights file are
     *     shared, not loaded again), for another thread
     */
    public ImportedSonarDecoder copy() {
        return importFile(onnx, weights, dimension, padId, maxPositions, vocabSize());
    }

    /** @return the imported, frozen graph */
    public SameDiff graph() {
        return sd;
    }

    /** @return the decoder vocabulary size */
    public int vocabSize() {
        return head.vocabSize();
    }

    /** @return the padding token id (labels equal to it are ignored) */
    public int padId() {
        return padId;
    }

    /** @return the sentence-embedding size d */
    public int dimension() {
        return dimension;
    }

    /** @return the longest decoder input ({@code max_position_embeddings}) */
    public int maxPositions() {
        return maxPositions;
    }

    /** @return the output projection and cross-entropy over the decoder's token table */
    public VocabularyHead head() {
        return head;
    }

    /**
     * Result of {@link #crossEntropy}.
     *
     * @param loss mean token cross-entropy over the non-pad labels
     * @param targets number of non-pad labels
     * @param gradient dLoss/dEmbedding {@code [b, d]} (float), or null for {@link #crossEntropyLoss}
     */
    public record LossAndGradient(double loss, long targets, INDArray gradient) {}

    /**
     * Teacher-forcing cross-entropy of the labels given the embeddings, and its gradient w.r.t. the
     * embeddings: mean negative log-probability over labels that are not {@link #padId()}. The first
     * call turns the embedding input into a (never trained) variable; the decoder weights stay constants.
     *
     * @param decoderInputIds {@code [b][t]}
     * @param labels {@code [b][t]} next tokens, {@link #padId()} where ignored
     * @param embeddings {@code [b][d]}
     * @return the loss and dLoss/dEmbedding
     * @throws InvalidInputException on mismatched shapes, out-of-range labels or no target token
     */
    public LossAndGradient crossEntropy(long[][] decoderInputIds, long[][] labels, float[][] embeddings) {
        return crossEntropy(decoderInputIds, labels, embeddings, 0);
    }

    /**
     * {@link #crossEntropy} plus {@code entropyWeight x} the mean entropy of the decoder's distributions at the
     * labelled positions ({@link VocabularyHead#lossWithEntropy}), with its gradient.
     *
     * @param decoderInputIds {@code [b][t]}
     * @param labels {@code [b][t]}
     * @param embeddings {@code [b][d]}
     * @param entropyWeight weight of the mean entropy (0 = {@link #crossEntropy})
     * @return the loss and dLoss/dEmbedding
     */
    public LossAndGradient crossEntropy(long[][] decoderInputIds, long[][] labels, float[][] embeddings,
            double entropyWeight) {
        int[] flat = flatLabels(labels, decoderInputIds);
        Map<String, INDArray> f = new HashMap<>(feeds(decoderInputIds, embeddings));
        SDVariable emb = sd.getVariable(TeacherForcingDecoderGraph.EMBEDDING);
        if (!differentiable) {
            // the rewrites' shape probe runs on one token (its arrays stay in the forward session's cache)
            Map<String, INDArray> probe = new HashMap<>(
                    feeds(new long[][] {{decoderInputIds[0][0]}}, new float[1][dimension]));
            emb.setArray(probe.remove(TeacherForcingDecoderGraph.EMBEDDING));
            sd.convertToVariables(List.of(emb));
            onePass = new OnePassGradient(sd, hidden, HIDDEN_GRAD);
            int rewritten = BackwardRewrites.apply(sd, probe,
                    n -> weightFeeds.containsKey(n) || sd.hasVariable(n) && sd.getVariable(n).isConstant());
            LOG.debug("decoder gradient: {} backward ops rewritten", rewritten);
            differentiable = true;
        }
        emb.setArray(f.remove(TeacherForcingDecoderGraph.EMBEDDING));
        VocabularyHead.Result[] r = new VocabularyHead.Result[1];
        INDArray g = onePass.gradients(f, new long[] {flat.length, dimension}, h -> {
            r[0] = head.lossWithEntropy(h, flat, entropyWeight, true);
            return r[0].hiddenGradient();
        }, List.of(TeacherForcingDecoderGraph.EMBEDDING)).get(TeacherForcingDecoderGraph.EMBEDDING);
        return new LossAndGradient(r[0].loss(), r[0].targets(), g.dup());
    }

    /**
     * The loss of {@link #crossEntropy} without any backward pass (validation, evaluation).
     *
     * @param decoderInputIds {@code [b][t]}
     * @param labels {@code [b][t]}
     * @param embeddings {@code [b][d]}
     * @return the loss (gradient null)
     */
    public LossAndGradient crossEntropyLoss(long[][] decoderInputIds, long[][] labels, float[][] embeddings) {
        return crossEntropyLoss(decoderInputIds, labels, embeddings, 0);
    }

    /**
     * The loss of {@link #crossEntropy(long[][], long[][], float[][], double)} without any backward pass.
     *
     * @param decoderInputIds {@code [b][t]}
     * @param labels {@code [b][t]}
     * @param embeddings {@code [b][d]}
     * @param entropyWeight weight of the mean entropy
     * @return the loss (gradient null)
     */
    public LossAndGradient crossEntropyLoss(long[][] decoderInputIds, long[][] labels, float[][] embeddings,
            double entropyWeight) {
        int[] flat = flatLabels(labels, decoderInputIds);
        VocabularyHead.Result r = head.lossWithEntropy(hidden(decoderInputIds, embeddings), flat, entropyWeight, false);
        return new LossAndGradient(r.loss(), r.targets(), null);
    }

    private int[] flatLabels(long[][] labels, long[][] decoderInputIds) {
        if (labels.length != decoderInputIds.length || decoderInputIds.length == 0) {
            throw new InvalidInputException("expected " + decoderInputIds.length + " label rows, found " + labels.length);
        }
        int t = decoderInputIds[0].length;
        int[] flat = new int[labels.length * t];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i].length != t) {
                throw new InvalidInputException("expected label rows of length " + t + ", found " + labels[i].length);
            }
            for (int j = 0; j < t; j++) {
                long l = labels[i][j];
                if (l != padId && (l < 0 || l >= vocabSize())) {
                    throw new InvalidInputException("expected token ids below " + vocabSize() + ", found " + l);
                }
                flat[i * t + j] = l == padId ? -1 : (int) l;
            }
        }
        return flat;
    }

    /**
     * Feeds for one batch: ids, position rows {@code padding_idx + 1 + p}, embeddings and, for a bundle of
     * format 2, the weights (shared arrays, never copied).
     *
     * @param decoderInputIds {@code [b][t]}, all rows of equal length t
     * @param embeddings {@code [b][d]}
     * @return placeholder values by name
     * @throws InvalidInputException on ragged, empty, too long or mismatched input
     */
    public Map<String, INDArray> feeds(long[][] decoderInputIds, float[][] embeddings) {
        if (decoderInputIds.length == 0 || decoderInputIds[0].length == 0) {
            throw new InvalidInputException("expected at least one non-empty decoder row, found none");
        }
        if (embeddings.length != decoderInputIds.length) {
            throw new InvalidInputException("expected " + decoderInputIds.length + " embeddings, found " + embeddings.length);
        }
        int t = decoderInputIds[0].length;
        if (t > maxPositions) {
            throw new InvalidInputException("expected at most " + maxPositions + " decoder positions, found " + t);
        }
        long[][] pos = new long[decoderInputIds.length][t];
        for (int i = 0; i < decoderInputIds.length; i++) {
            if (decoderInputIds[i].length != t) {
                throw new InvalidInputException("expected decoder rows of length " + t + ", found "
                        + decoderInputIds[i].length + " in row " + i);
            }
            if (embeddings[i].length != dimension) {
                throw new InvalidInputException("expected embeddings of size " + dimension + ", found "
                        + embeddings[i].length + " in row " + i);
            }
            for (int p = 0; p < t; p++) {
                pos[i][p] = padId + 1L + p;
            }
        }
        Map<String, INDArray> f = new HashMap<>(weightFeeds); // format 2: the weights are placeholders (shared arrays)
        f.put(TeacherForcingDecoderGraph.INPUT_IDS, Nd4j.createFromArray(decoderInputIds));
        f.put(TeacherForcingDecoderGraph.POSITION_IDS, Nd4j.createFromArray(pos));
        f.put(TeacherForcingDecoderGraph.EMBEDDING, Nd4j.createFromArray(embeddings));
        return f;
    }

    /**
     * @param decoderInputIds {@code [b][t]}
     * @param embeddings {@code [b][d]}
     * @return the final decoder states {@code [b * t, d]}, the input of the output projection
     */
    public INDArray hidden(long[][] decoderInputIds, float[][] embeddings) {
        return sd.output(runFeeds(decoderInputIds, embeddings), hidden).get(hidden);
    }

    /** Feeds for a forward run: the embedding is a placeholder until it became a variable. */
    private Map<String, INDArray> runFeeds(long[][] decoderInputIds, float[][] embeddings) {
        Map<String, INDArray> f = new HashMap<>(feeds(decoderInputIds, embeddings));
        if (differentiable) {
            sd.getVariable(TeacherForcingDecoderGraph.EMBEDDING).setArray(f.remove(TeacherForcingDecoderGraph.EMBEDDING));
        }
        return f;
    }

    /**
     * Runs the whole decoder graph, output projection included (tests compare it with ORT and tiny-a).
     *
     * @param decoderInputIds {@code [b][t]} @param embeddings {@code [b][d]}
     * @return logits {@code [b, t, vocab]}
     */
    public INDArray logits(long[][] decoderInputIds, float[][] embeddings) {
        return sd.output(runFeeds(decoderInputIds, embeddings), TeacherForcingDecoderGraph.LOGITS)
                .get(TeacherForcingDecoderGraph.LOGITS);
    }
}
