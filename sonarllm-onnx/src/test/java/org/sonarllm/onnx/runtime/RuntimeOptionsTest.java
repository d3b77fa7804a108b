package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;

/** Every count of the runtime options has a documented range, enforced before any session is created. */
class RuntimeOptionsTest {
    @Test
    void countsOutsideTheirRangeAreRejected() {
        assertEquals("expected thread counts in 0..256 (0 = automatic), found 100000 and 0",
                assertThrows(InvalidInputException.class,
                        () -> RuntimeOptions.builder().intraOpThreads(100_000).build()).getMessage());
        assertThrows(InvalidInputException.class, () -> RuntimeOptions.builder().interOpThreads(-1).build());
        assertThrows(InvalidInputException.class, () -> RuntimeOptions.builder().encoderBatchSize(0).build());
        assertThrows(InvalidInputException.class, () -> RuntimeOptions.builder().encoderBatchSize(-3).build());
        assertThrows(InvalidInputException.class, () -> RuntimeOptions.builder().decoderBatchSize(4097).build());
        RuntimeOptions ok = RuntimeOptions.builder().intraOpThreads(256).encoderBatchSize(4096).build();
        assertEquals(256, ok.intraOpThreads());
    }

    @Test
    void automaticIntraOpThreadsAreOneForSmallModelsOnly() {
        RuntimeOptions auto = RuntimeOptions.defaults();
        assertEquals(0, auto.intraOpThreads());
        assertEquals(1, auto.resolvedFor(128).intraOpThreads(), "the d-128 default model");
        assertEquals(1, auto.resolvedFor(RuntimeOptions.SMALL_MODEL_WIDTH - 1).intraOpThreads());
        assertEquals(0, auto.resolvedFor(RuntimeOptions.SMALL_MODEL_WIDTH).intraOpThreads());
        assertEquals(0, auto.resolvedFor(1024).intraOpThreads(), "SONAR's width: ONNX Runtime's choice");
        RuntimeOptions two = RuntimeOptions.builder().intraOpThreads(2).decoderBatchSize(8).build();
        assertEquals(two, two.resolvedFor(128), "an explicit count is kept");
        RuntimeOptions r = RuntimeOptions.builder().decoderBatchSize(8).lazySessions(true).build().resolvedFor(64);
        assertEquals(RuntimeOptions.builder().intraOpThreads(1).decoderBatchSize(8).lazySessions(true).build(), r,
                "only the thread count changes");
    }
}
