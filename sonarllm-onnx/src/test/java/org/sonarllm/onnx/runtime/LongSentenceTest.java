package org.sonarllm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sonarllm.lang.Language;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * A sentence longer than the encoder's positions (as a generated sentence that runs to the token
 * limit becomes when it is re-encoded) is truncated by the bundle's tokenizer, not rejected.
 */
class LongSentenceTest {
    @Test
    void textLongerThanEncoderPositionsIsTruncatedNotRejected() {
        try (SonarLlm llm = SonarLlm.load(TinyABundle.get())) {
            int maxPositions = llm.manifest().dimensions().maxPositions();
            String text = "He could not help it. ".repeat(maxPositions);
            SonarTokenizer tok = llm.tokenizer();
            int[] ids = tok.encoderIds(text, Language.ENGLISH);
            assertEquals(maxPositions, ids.length, "the tokenizer cuts to the encoder's positions");
            assertEquals(SonarTokenizer.EOS, ids[ids.length - 1], "</s> is kept");
            float[] fromText = llm.encoder().encode(text, Language.ENGLISH);
            float[] fromIds = llm.onnxEncoder().encodeIds(List.of(ids)).get(0);
            assertArrayEquals(fromIds, fromText, 0f);
        }
    }
}
