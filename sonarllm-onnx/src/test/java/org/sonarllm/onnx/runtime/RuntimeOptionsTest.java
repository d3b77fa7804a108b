package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;

/** Every count of the runtime options has a documented range, enforced before any session is created. */
class RuntimeOptionsTest {
    @Test
    void countsOutsideTheirRangeAreRejected() {
        assertEquals("expected thread counts in 0..256 (0 = runtime default), found 100000 and 0",
                assertThrows(InvalidInputException.class,
                        () -> RuntimeOptions.builder().intraOpThreads(100_000).build()).getMessage());
        assertThrows(InvalidInputException.class, () -> RuntimeOptions.builder().interOpThreads(-1).build());
        assertThrows(InvalidInputException.class, () -> RuntimeOptions.builder().encoderBatchSize(0).build());
        assertThrows(InvalidInputException.class, () -> RuntimeOptions.builder().encoderBatchSize(-3).build());
        assertThrows(InvalidInputException.class, () -> RuntimeOptions.builder().decoderBatchSize(4097).build());
        RuntimeOptions ok = RuntimeOptions.builder().intraOpThreads(256).encoderBatchSize(4096).build();
        assertEquals(256, ok.intraOpThreads());
    }
}
