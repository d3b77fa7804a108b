package org.sonarllm.training.internal;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.config.ExecutionResult;
import org.nd4j.autodiff.samediff.config.SDValue;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.SonarLlmException;

/**
 * SameDiff's gradient call with its array cache on. {@code SameDiff.calculateGradientsAndOutputs} in ND4J
 * 1.0.0-M2.1 switches the cache of the gradient function off on every call ({@code setEnableCache(false)}),
 * so each op output of every step is a fresh native buffer, zeroed and page-faulted, and freed only by the
 * garbage collector: measured as 44 % of a CE training step on the d-256 default model's decoder (and the
 * reason the process's memory grows between collections). This runs the same gradient function the same
 * way (training mode, the graph's listeners) with the cache left on, so the session's
 * {@code ArrayCacheMemoryMgr} hands the op outputs of one step to the next. Arrays returned here are not
 * cached (they are the requested outputs). Not thread-safe per graph, as SameDiff itself.
 *
 * <pre>{@code
 * Map<String, INDArray> g = Gradients.of(sd, feeds, List.of(), List.of("w")).gradients();
 * }</pre>
 */
public final class Gradients {
    private static final Method BATCH_OUTPUT;

    static {
        try {
            BATCH_OUTPUT = SameDiff.class.getDeclaredMethod("batchOutputHelper", Map.class, List.class, Operation.class,
                    String[].class);
            BATCH_OUTPUT.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ExceptionInInitializerError("this ND4J has no SameDiff.batchOutputHelper(Map, List, Operation,"
                    + " String...) (written for 1.0.0-M2.1): " + e);
        }
    }

    private final Map<String, INDArray> outputs;
    private final Map<String, INDArray> gradients;

    private Gradients(Map<String, INDArray> outputs, Map<String, INDArray> gradients) {
        this.outputs = outputs;
        this.gradients = gradients;
    }

    /** @return the requested outputs by name */
    public Map<String, INDArray> outputs() {
        return outputs;
    }

    /** @return the gradients by variable name (variables the loss does not depend on are absent) */
    public Map<String, INDArray> gradients() {
        return gradients;
    }

    /**
     * One forward and backward pass, as {@code sd.calculateGradientsAndOutputs(feeds, outputs, wrt)}.
     *
     * @param sd the graph (its loss variables set)
     * @param feeds placeholder values
     * @param outputs variables whose values are wanted too
     * @param wrt variables whose gradients are wanted
     * @return both
     */
    public static Gradients of(SameDiff sd, Map<String, INDArray> feeds, Collection<String> outputs,
            Collection<String> wrt) {
        if (!sd.hasGradientFunction()) {
            sd.createGradFunction();
        }
        List<String> names = new ArrayList<>(outputs);
        Map<String, String> gradientName = new HashMap<>();
        for (String w : wrt) {
            SDVariable g = sd.getVariable(w).getGradient();
            if (g != null) {
                gradientName.put(w, g.name());
                names.add(g.name());
            }
        }
        SameDiff gradFn = sd.getFunction("grad");
        gradFn.setEnableCache(true);
        gradFn.setListeners(sd.getListeners());
        ExecutionResult r;
        try {
            r = (ExecutionResult) BATCH_OUTPUT.invoke(gradFn, feeds, null, Operation.TRAINING,
                    names.toArray(new String[0]));
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new SonarLlmException("gradient pass failed: " + e.getCause(), e.getCause());
        } catch (IllegalAccessException e) {
            throw new SonarLlmException("cannot run SameDiff's gradient function: " + e, e);
        }
        Map<String, INDArray> all = new HashMap<>();
        if (r.hasValues()) {
            for (Map.Entry<String, SDValue> e : r.getValueOutputs().entrySet()) {
                all.put(e.getKey(), e.getValue().getTensorValue());
            }
        } else if (r.hasSingle()) {
            for (Map.Entry<String, Optional<INDArray>> e : r.getOutputs().entrySet()) {
                all.put(e.getKey(), e.getValue().orElse(null));
            }
        }
        Map<String, INDArray> outs = new HashMap<>();
        for (String o : outputs) {
            outs.put(o, all.get(o));
        }
        Map<String, INDArray> grads = new HashMap<>();
        for (Map.Entry<String, String> e : gradientName.entrySet()) {
            grads.put(e.getKey(), all.get(e.getValue()));
        }
        return new Gradients(outs, grads);
    }
}
