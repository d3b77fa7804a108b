package org.sonarllm.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class Nd4jSmokeTest {
    @Test
    void gradientOfSumOfSquaresIsTwoX() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.var("x", Nd4j.createFromArray(new double[] {1, -2, 3}));
        SDVariable loss = sd.math.square(x).sum().rename("loss");
        sd.setLossVariables("loss");
        Map<String, INDArray> g = sd.calculateGradients(Map.of(), "x");
        INDArray gx = g.get("x");
        assertEquals(2.0, gx.getDouble(0), 1e-12);
        assertEquals(-4.0, gx.getDouble(1), 1e-12);
        assertEquals(6.0, gx.getDouble(2), 1e-12);
        assertEquals(DataType.DOUBLE, gx.dataType());
        assertEquals(14.0, loss.eval().getDouble(0), 1e-12);
    }
}
