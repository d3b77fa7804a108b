package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.ModelFormatException;
import org.sonarllm.NonFiniteOutputException;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.onnx.weights.SafeTensors;
import org.sonarllm.testing.TinyA;

/**
 * Weights that read as NaN give a typed error naming the component, not NaN embeddings or garbage text: the
 * tiny-a bundle with one tensor's bytes overwritten by NaN wherever the bundle stores them.
 */
class NonFiniteOutputTest {
    @TempDir
    Path tmp;

    private static final RuntimeOptions NO_HASH = RuntimeOptions.builder().verifyHashes(false).build();

    @Test
    void encoderWithNanWeightsFailsNamingTheEncoder() throws Exception {
        Path b = TinyABundle.copyTo(tmp.resolve("b"));
        assertTrue(nanOut(b, TinyA.dir().resolve("encoder/model.safetensors"), "layer_norm.bias") > 0);
        try (SonarLlm llm = SonarLlm.load(b, NO_HASH)) {
            NonFiniteOutputException e = assertThrows(NonFiniteOutputException.class,
                    () -> llm.encoder().encode(List.of("It was a fine morning."), Language.ENGLISH));
            assertEquals("encoder", e.component());
            assertTrue(e.getMessage().startsWith("encoder: expected finite sentence embeddings, found NaN"),
                    e.getMessage());
            assertTrue(e instanceof ModelFormatException);
        }
    }

    @Test
    void decoderWithNanWeightsFailsNamingTheDecoderForEverySearch() throws Exception {
        Path b = TinyABundle.copyTo(tmp.resolve("b"));
        assertTrue(nanOut(b, TinyA.dir().resolve("decoder/model.safetensors"), "model.decoder.layer_norm.bias") > 0);
        float[] v = TinyA.floats(TinyA.expected().get("b_encoder").get("embeddings").get(0));
        try (SonarLlm llm = SonarLlm.load(b, NO_HASH)) {
            for (DecodingOptions o : List.of(DecodingOptions.greedy(), DecodingOptions.beam(5),
                    DecodingOptions.sampling(1.0, 0, 1.0, 7))) {
                NonFiniteOutputException e = assertThrows(NonFiniteOutputException.class,
                        () -> llm.decoder().decode(List.of(v, v), Language.ENGLISH, o.withMaxTokens(4)));
                assertEquals("decoder", e.component());
                assertTrue(e.getMessage().contains("expected finite log-probabilities, found NaN"), e.getMessage());
            }
        }
    }

    /** Overwrites every occurrence of the tensor's float32 bytes in the bundle's files with NaN; returns the count. */
    private static int nanOut(Path bundle, Path checkpoint, String tensor) throws Exception {
        byte[] pattern;
        try (SafeTensors st = SafeTensors.open(checkpoint)) {
            ByteBuffer bb = st.float32Bytes(tensor);
            pattern = new byte[bb.remaining()];
            bb.duplicate().get(pattern);
        }
        byte[] nan = new byte[pattern.length];
        ByteBuffer nb = ByteBuffer.wrap(nan).order(ByteOrder.LITTLE_ENDIAN);
        while (nb.hasRemaining()) {
            nb.putFloat(Float.NaN);
        }
        int count = 0;
        try (Stream<Path> files = Files.walk(bundle)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                byte[] data = Files.readAllBytes(f);
                boolean changed = false;
                for (int i = 0; i + pattern.length <= data.length; i++) {
                    if (java.util.Arrays.equals(data, i, i + pattern.length, pattern, 0, pattern.length)) {
                        System.arraycopy(nan, 0, data, i, nan.length);
                        changed = true;
                        count++;
                    }
                }
                if (changed) {
                    Files.write(f, data);
                }
            }
        }
        return count;
    }
}
