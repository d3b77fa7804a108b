package org.sonarllm.training.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.samediff.frameworkimport.onnx.importer.OnnxFrameworkImporter;
import org.sonarllm.InvalidInputException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.ModelFormatException;
import org.sonarllm.onnx.weights.M2M100Weights;
import org.sonarllm.onnx.graph.TeacherForcingDecoderGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The frozen SONAR decoder as a SameDiff graph imported by ND4J's ONNX importer from the
 * teacher-forcing graph of {@link TeacherForcingDecoderGraph#buildWithPositionInput}: an
 * alternative to the hand-written {@link FrozenSonarDecoder}. After import every {@code Mmul} gets
 * {@code alpha = 1, beta = 0} (the importer leaves Gemm's defaults unresolved) and every variable is
 * turned into a constant, so nothing in the decoder is trainable.
 *
 * <p>Inputs: {@link TeacherForcingDecoderGraph#INPUT_IDS} {@code [b, t]} int64,
 * {@link TeacherForcingDecoderGraph#POSITION_IDS} {@code [b, t]} int64 (built by {@link #feeds}) and
 * {@link TeacherForcingDecoderGraph#EMBEDDING} {@code [b, d]} float; output
 * {@link TeacherForcingDecoderGraph#LOGITS} {@code [b, t, vocab]}.
 *
 * <pre>{@code
 * ImportedSonarDecoder dec = ImportedSonarDecoder.load(Path.of("decoder"));
 * INDArray logits = dec.logits(decoderInputIds, embeddings); // [b, t, vocab]
 * }</pre>
 *
 * <p>Not thread-safe: a SameDiff instance must not run concurrently.
 */
public final class ImportedSonarDecoder {
    private static final String CE_LABELS = "ce_label_onehot";
    private static final String CE_LOSS = "ce_loss";
    private static final Logger LOG = LoggerFactory.getLogger(ImportedSonarDecoder.class);

    private final SameDiff sd;
    private final int dimension;
    private final int padId;
    private final int maxPositions;
    private final int vocab;
    private boolean lossBuilt;

    private ImportedSonarDecoder(SameDiff sd, int dimension, int padId, int maxPositions, int vocab) {
        this.sd = sd;
        this.vocab = vocab;
        this.dimension = dimension;
        this.padId = padId;
        this.maxPositions = maxPositions;
    }

    /**
     * Builds the training graph from a SONAR decoder directory (config.json + safetensors), imports
     * it, patches and freezes it.
     *
     * @param decoderDir the decoder directory
     * @return the imported decoder
     * @throws ModelFormatException if the weights cannot be read or the graph cannot be imported
     */
    public static ImportedSonarDecoder load(Path decoderDir) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("sonar-decoder-training", ".onnx");
            int d;
            int pad;
            int maxPos;
            int v;
            try (M2M100Weights w = M2M100Weights.open(decoderDir, M2M100Weights.Side.DECODER)) {
                TeacherForcingDecoderGraph.buildWithPositionInput(w).write(tmp);
                d = w.dModel();
                pad = w.padId();
                maxPos = w.maxPositions();
                v = w.vocab();
            }
            return importGraph(tmp, d, pad, maxPos, v, decoderDir.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    LOG.debug("cannot delete {}", tmp, e);
                }
            }
        }
    }

    /**
     * Imports the training decoder graph of a model bundle ({@code decoder_training.onnx}, written by
     * the converter), patches and freezes it: the same graph file the bundle ships, no weights needed.
     *
     * <pre>{@code
     * ImportedSonarDecoder dec = ImportedSonarDecoder.fromBundle(Path.of("my-bundle"));
     * }</pre>
     *
     * @param bundleDir a bundle directory
     * @return the imported decoder
     * @throws ModelFormatException if the bundle is invalid or its graph cannot be imported
     */
    public static ImportedSonarDecoder fromBundle(Path bundleDir) {
        Bundle bundle = Bundle.open(bundleDir);
        BundleManifest m = bundle.manifest();
        return importGraph(bundle.file(BundleManifest.DECODER_TRAINING), m.dimensions().model(),
                m.specialIds().pad(), m.dimensions().maxPositions(), m.dimensions().vocab(), bundleDir.toString());
    }

    private static ImportedSonarDecoder importGraph(Path onnx, int d, int pad, int maxPos, int vocab, String source) {
        SameDiff sd;
        try {
            sd = new OnnxFrameworkImporter().runImport(onnx.toString(), Map.of(), false);
        } catch (RuntimeException e) {
            throw new ModelFormatException("cannot import the decoder graph of " + source + ": " + e, e);
        }
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
        LOG.debug("imported decoder: {} ops, {} Mmul patched, {} variables frozen", sd.ops().length, patched,
                vars.size());
        return new ImportedSonarDecoder(sd, d, pad, maxPos, vocab);
    }

    /** @return the imported, frozen graph (add a loss on top of {@link TeacherForcingDecoderGraph#LOGITS}) */
    public SameDiff graph() {
        return sd;
    }

    /** @return the decoder vocabulary size */
    public int vocabSize() {
        return vocab;
    }

    /** @return the padding token id (labels equal to it are ignored by {@link #crossEntropy}) */
    public int padId() {
        return padId;
    }

    /**
     * Teacher-forcing cross-entropy of the labels given the embeddings, and its gradient w.r.t. the
     * embeddings. The loss is the mean negative log-probability (stable log-softmax) over label tokens
     * that are not {@link #padId()}. The first call turns the embedding input into a (non-trained)
     * variable and adds the loss to the graph; the decoder weights stay constants.
     *
     * <pre>{@code
     * ImportedSonarDecoder.LossAndGradient r = dec.crossEntropy(ids, labels, embeddings);
     * double loss = r.loss(); INDArray g = r.gradient(); // [b, d]
     * }</pre>
     *
     * @param decoderInputIds {@code [b][t]}
     * @param labels {@code [b][t]} next tokens, {@link #padId()} where ignored
     * @param embeddings {@code [b][d]}
     * @return the loss and dLoss/dEmbedding {@code [b, d]} (float)
     * @throws InvalidInputException on mismatched shapes, out-of-range labels or no target token
     */
    public LossAndGradient crossEntropy(long[][] decoderInputIds, long[][] labels, float[][] embeddings) {
        return crossEntropy(decoderInputIds, labels, embeddings, true);
    }

    /**
     * The loss of {@link #crossEntropy(long[][], long[][], float[][])} without the backward pass
     * (validation).
     *
     * @param decoderInputIds {@code [b][t]}
     * @param labels {@code [b][t]}
     * @param embeddings {@code [b][d]}
     * @return the mean token cross-entropy
     */
    public double crossEntropyLoss(long[][] decoderInputIds, long[][] labels, float[][] embeddings) {
        return crossEntropy(decoderInputIds, labels, embeddings, false).loss();
    }

    private LossAndGradient crossEntropy(long[][] decoderInputIds, long[][] labels, float[][] embeddings,
            boolean withGradient) {
        Map<String, INDArray> f = new HashMap<>(feeds(decoderInputIds, embeddings));
        int t = decoderInputIds[0].length;
        if (labels.length != decoderInputIds.length) {
            throw new InvalidInputException("expected " + decoderInputIds.length + " label rows, found " + labels.length);
        }
        INDArray onehot = Nd4j.zeros(DataType.FLOAT, (long) labels.length * t, vocab);
        long count = 0;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i].length != t) {
                throw new InvalidInputException("expected label rows of length " + t + ", found " + labels[i].length);
            }
            for (int j = 0; j < t; j++) {
                long l = labels[i][j];
                if (l == padId) {
                    continue;
                }
                if (l < 0 || l >= vocab) {
                    throw new InvalidInputException("expected token ids below " + vocab + ", found " + l);
                }
                onehot.putScalar((long) i * t + j, l, 1.0);
                count++;
            }
        }
        if (count == 0) {
            throw new InvalidInputException("expected at least one non-pad label, found none");
        }
        SDVariable emb = sd.getVariable(TeacherForcingDecoderGraph.EMBEDDING);
        emb.setArray(f.remove(TeacherForcingDecoderGraph.EMBEDDING));
        if (!lossBuilt) {
            sd.convertToVariables(List.of(emb));
            SDVariable logits = sd.reshape(sd.getVariable(TeacherForcingDecoderGraph.LOGITS), -1, vocab);
            SDVariable shifted = logits.sub(sd.max(logits, true, 1));
            SDVariable logProbs = shifted.sub(sd.math.log(sd.sum(sd.math.exp(shifted), true, 1)));
            SDVariable lab = sd.placeHolder(CE_LABELS, DataType.FLOAT, -1, vocab);
            // Labels arrive as one-hot rows already divided by the target-token count (mean over tokens).
            sd.math.neg(sd.sum(logProbs.mul(lab))).rename(CE_LOSS);
            sd.setLossVariables(CE_LOSS);
            lossBuilt = true;
        }
        f.put(CE_LABELS, onehot.divi(count));
        if (!withGradient) {
            return new LossAndGradient(sd.output(f, CE_LOSS).get(CE_LOSS).getDouble(0), null);
        }
        OutAndGrad og = sd.calculateGradientsAndOutputs(f, List.of(CE_LOSS),
                List.of(TeacherForcingDecoderGraph.EMBEDDING));
        return new LossAndGradient(og.getOutputs().get(CE_LOSS).getDouble(0),
                og.getGradients().get(TeacherForcingDecoderGraph.EMBEDDING).dup());
    }

    /**
     * Result of {@link #crossEntropy}.
     *
     * @param loss mean token cross-entropy
     * @param gradient dLoss/dEmbedding {@code [b, d]}
     */
    public record LossAndGradient(double loss, INDArray gradient) {}

    /** @return the sentence-embedding size d */
    public int dimension() {
        return dimension;
    }

    /**
     * Feeds for one batch: ids, position rows {@code padding_idx + 1 + p} and embeddings.
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
            throw new InvalidInputException("expected " + decoderInputIds.length + " embeddings, found "
                    + embeddings.length);
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
        Map<String, INDArray> f = new HashMap<>();
        f.put(TeacherForcingDecoderGraph.INPUT_IDS, Nd4j.createFromArray(decoderInputIds));
        f.put(TeacherForcingDecoderGraph.POSITION_IDS, Nd4j.createFromArray(pos));
        f.put(TeacherForcingDecoderGraph.EMBEDDING, Nd4j.createFromArray(embeddings));
        return f;
    }

    /**
     * Runs the decoder.
     *
     * @param decoderInputIds {@code [b][t]} @param embeddings {@code [b][d]}
     * @return logits {@code [b, t, vocab]}
     */
    public INDArray logits(long[][] decoderInputIds, float[][] embeddings) {
        return sd.output(feeds(decoderInputIds, embeddings), TeacherForcingDecoderGraph.LOGITS)
                .get(TeacherForcingDecoderGraph.LOGITS);
    }
}
