package org.sonarllm.training.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.sonarllm.onnx.testing.TinyABundle;

/**
 * A CE step runs every forward op of the concept LM and of the frozen decoder exactly once (the values the
 * vocabulary head needs come from the gradient call's own forward pass), and its loss and gradients are
 * those of case h (checked against tiny-a and the hand-written reference in {@link ImportedCaseHTest}).
 */
class OnePassGradientTest {
    /** Counts executions of the graph's own (forward) ops by name. */
    private static final class Counter extends BaseListener {
        final Set<String> forward = new HashSet<>();
        final Map<String, Integer> runs = new HashMap<>();

        Counter(SameDiff sd) {
            for (DifferentialFunction f : sd.ops()) {
                forward.add(f.getOwnName());
            }
        }

        @Override
        public boolean isActive(Operation operation) {
            return true;
        }

        @Override
        public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext ctx, INDArray[] outputs) {
            if (forward.contains(op.getName())) {
                runs.merge(op.getName(), 1, Integer::sum);
            }
        }
    }

    @Test
    void aCrossEntropyStepRunsEveryForwardOpOnce() {
        ImportedSonarDecoder dec = ImportedSonarDecoder.fromBundle(TinyABundle.get());
        ConceptLMLoss loss = ConceptLMLoss.create(Objective.CE, ConceptLMGraphTest.cfg(), CaseHTest.tinyAWeights(DataType.FLOAT),
                dec, DataType.FLOAT);
        Batch batch = CaseHTest.caseHBatch();
        double first = loss.step(batch).loss(); // builds the gradient functions
        Counter lm = new Counter(loss.lm().sameDiff());
        Counter decoder = new Counter(dec.graph());
        loss.lm().sameDiff().addListeners(lm);
        dec.graph().addListeners(decoder);
        ConceptLMLoss.Step s = loss.step(batch);
        assertEquals(first, s.loss(), 0);
        for (Counter c : new Counter[] {lm, decoder}) {
            assertTrue(c.runs.size() > 50, "forward ops executed: " + c.runs.size());
            assertEquals(Set.of(1), new HashSet<>(c.runs.values()), "executions per forward op: " + c.runs);
        }
    }
}
