package org.sonarllm.onnx.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.ModelFormatException;
import org.sonarllm.SonarLlmException;

/**
 * Creates ONNX Runtime sessions the way every SDK component should: the execution provider chosen
 * by {@link RuntimeOptions} (CUDA is tried with {@code addCUDA} and falls back to CPU with a log
 * line, since {@code getAvailableProviders()} cannot be trusted), thread counts, full graph
 * optimisation; and checks a graph's input/output names and shapes. Stateless and thread-safe.
 *
 * <pre>{@code
 * OrtSession s = OrtSessions.create(bundle.resolve("concept_lm.onnx"), options);
 * OrtSessions.requireInput(s, "concept_lm.onnx", "embeddings", OnnxJavaType.FLOAT, -1, -1, 1024);
 * }</pre>
 */
final class OrtSessions {
    private static final Logger LOG = LoggerFactory.getLogger(OrtSessions.class);

    /** System property: a path prefix under which every session writes an ONNX Runtime profile (benchmarking). */
    static final String PROFILE_PROPERTY = "sonarllm.ortProfile";

    private OrtSessions() {}

    /**
     * @param model the .onnx file (external data next to it is found by ONNX Runtime)
     * @param o runtime options
     * @return a session; the caller closes it
     * @throws ModelFormatException if ONNX Runtime rejects the file
     */
    static OrtSession create(Path model, RuntimeOptions o) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        if (o.provider() != RuntimeOptions.Provider.CPU) {
            try (OrtSession.SessionOptions so = base(o, model)) {
                so.addCUDA(o.cudaDevice());
                OrtSession s = env.createSession(model.toString(), so);
                LOG.info("{}: running on CUDA device {}", model.getFileName(), o.cudaDevice());
                return s;
            } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
                LOG.warn("{}: CUDA execution provider could not start ({}); falling back to CPU",
                        model.getFileName(), firstLine(e.getMessage()));
            }
        }
        try (OrtSession.SessionOptions so = base(o, model)) {
            return env.createSession(model.toString(), so);
        } catch (OrtException e) {
            throw new ModelFormatException(model + ": ONNX Runtime cannot load the graph: " + firstLine(e.getMessage()), e);
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    private static OrtSession.SessionOptions base(RuntimeOptions o, Path model) {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        try {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            String profile = System.getProperty(PROFILE_PROPERTY);
            if (profile != null && !profile.isBlank()) {
                // ONNX Runtime writes <prefix><graph>_<date>.json with every node's time when the session closes
                so.enableProfiling(profile + model.getFileName());
            }
            if (o.intraOpThreads() > 0) {
                so.setIntraOpNumThreads(o.intraOpThreads());
            }
            if (o.interOpThreads() > 0) {
                so.setInterOpNumThreads(o.interOpThreads());
            }
            return so;
        } catch (OrtException e) {
            so.close();
            throw new SonarLlmException("cannot configure ONNX Runtime session: " + e.getMessage(), e);
        }
    }

    /**
     * Checks a graph input ({@code -1} in {@code shape} = dynamic).
     *
     * @param s session @param file label for messages @param name input name @param type element type
     * @param shape expected shape
     * @throws ModelFormatException "expected X, found Y"
     */
    static void requireInput(OrtSession s, String file, String name, OnnxJavaType type, long... shape) {
        try {
            check(s.getInputInfo(), file, "input", name, type, shape);
        } catch (OrtException e) {
            throw new ModelFormatException(file + ": cannot read graph inputs: " + e.getMessage(), e);
        }
    }

    /**
     * Checks a graph output ({@code -1} in {@code shape} = dynamic).
     *
     * @param s session @param file label @param name output name @param type element type
     * @param shape expected shape
     * @throws ModelFormatException "expected X, found Y"
     */
    static void requireOutput(OrtSession s, String file, String name, OnnxJavaType type, long... shape) {
        try {
            check(s.getOutputInfo(), file, "output", name, type, shape);
        } catch (OrtException e) {
            throw new ModelFormatException(file + ": cannot read graph outputs: " + e.getMessage(), e);
        }
    }

    private static void check(Map<String, NodeInfo> infos, String file, String kind, String name, OnnxJavaType type,
            long[] shape) {
        NodeInfo n = infos.get(name);
        if (n == null) {
            throw new ModelFormatException(file + ": expected " + kind + " '" + name + "', found " + infos.keySet());
        }
        if (!(n.getInfo() instanceof TensorInfo t)) {
            throw new ModelFormatException(file + ": expected " + kind + " '" + name + "' to be a tensor, found "
                    + n.getInfo());
        }
        long[] got = t.getShape();
        boolean ok = t.type == type && got.length == shape.length;
        for (int i = 0; ok && i < shape.length; i++) {
            ok = shape[i] < 0 ? got[i] < 0 : got[i] == shape[i];
        }
        if (!ok) {
            throw new ModelFormatException(file + ": expected " + kind + " '" + name + "' " + type + " "
                    + Arrays.toString(shape) + " (-1 = dynamic), found " + t.type + " " + Arrays.toString(got));
        }
    }
}
