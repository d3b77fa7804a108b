package org.sonarllm.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;
import org.sonarllm.decode.DecodingOptions;

/** Sentence-level sampling: the noise's size by hand, reproducibility, best-of-n over {@link TableComponents}. */
class SentenceSamplingTest {
    private final TableComponents.Encoder enc = new TableComponents.Encoder();
    private final TableComponents.Decoder dec = new TableComponents.Decoder();

    private static double distance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - (double) b[i]) * (a[i] - (double) b[i]);
        }
        return Math.sqrt(s);
    }

    @Test
    void noiseHasTheTemperatureTimesTheRmsAsItsNorm() {
        float[] z = {3, 4, 0};   // rms = sqrt(25 / 3) = 2.886751
        SentenceSampling s = SentenceSampling.of(0.5, 7L);
        for (int k = 0; k < 3; k++) {
            for (int j = 0; j < 3; j++) {
                assertEquals(0.5 * Math.sqrt(25.0 / 3), distance(z, s.sample(z, k, j)), 1e-6, k + "/" + j);
            }
        }
        float[] big = new float[1024];
        Arrays.fill(big, 2f);     // rms 2: noise norm 2 * temperature, i.e. |z| * temperature / 32
        assertEquals(2 * 1.5, distance(big, SentenceSampling.of(1.5, 1L).sample(big, 0, 0)), 1e-4);
        assertArrayEquals(z, SentenceSampling.OFF.sample(z, 3, 0));
        assertArrayEquals(new float[] {3, 4, 0}, z, "the input is not modified");
    }

    @Test
    void drawsDependOnSeedSentenceAndCandidateOnly() {
        float[] z = {1, -2, 0.5f, 4};
        SentenceSampling s = SentenceSampling.bestOf(3, 1.0, 42L);
        assertArrayEquals(s.sample(z, 2, 1), SentenceSampling.bestOf(3, 1.0, 42L).sample(z, 2, 1));
        assertFalse(Arrays.equals(s.sample(z, 2, 1), s.sample(z, 2, 0)));
        assertFalse(Arrays.equals(s.sample(z, 2, 1), s.sample(z, 1, 1)));
        assertFalse(Arrays.equals(s.sample(z, 2, 1), SentenceSampling.bestOf(3, 1.0, 43L).sample(z, 2, 1)));
        // the direction is uniform: over many draws the mean noise direction is near 0
        double[] mean = new double[4];
        int n = 4000;
        for (int i = 0; i < n; i++) {
            float[] v = SentenceSampling.of(1.0, i).sample(z, 0, 0);
            for (int d = 0; d < 4; d++) {
                mean[d] += (v[d] - z[d]) / n;
            }
        }
        for (double m : mean) {
            assertEquals(0, m, 0.05);   // noise norm rms(z) = 2.3; std of a coordinate's mean ~ 2.3 / 2 / sqrt(4000)
        }
    }

    @Test
    void bestOfNKeepsTheCandidateWithTheHighestDecoderScore() {
        // prompt S1 S2 predicts [5, 0.5, 0]; the decoder's score is -v[0], so the candidate with the
        // smallest first coordinate (and a non-blank text: v[0] >= 0) wins
        SentenceSampling s = SentenceSampling.bestOf(4, 1.5, 9L);
        float[] p = {5, 0.5f, 0};
        float[] best = null;
        for (int j = 0; j < 4; j++) {
            float[] c = s.sample(p, 0, j);
            if (c[0] >= 0 && c[2] <= 0.5f && (best == null || c[0] < best[0])) {
                best = c;
            }
        }
        SonarLlmGenerator g = SonarLlmGenerator.builder().segmenter(new TableComponents.WordSegmenter()).encoder(enc)
                .conceptLm(new TableComponents.LM(100, 100)).decoder(dec).eosEmbedding(TableComponents.EOS).build();
        GenerationOptions o = GenerationOptions.builder().decoding(DecodingOptions.greedy())
                .stopCriterion(StopRules.paper().withMaxSentences(1)).sentenceSampling(s).build();
        GenerationResult r = g.generate("S1 S2", o);
        assertEquals("S" + best[0], r.sentences().get(0).text());
        assertArrayEquals(best, r.sentences().get(0).predictedEmbedding());
        assertEquals(List.of(4), dec.batchSizes, "the four candidates in one decoder call");
        assertEquals(r.sentences(), g.generate("S1 S2", o).sentences(), "reproducible");
        assertNotEquals(r.sentences(), g.generate("S1 S2", o.toBuilder()
                .sentenceSampling(SentenceSampling.bestOf(4, 1.5, 10L)).build()).sentences());
    }

    @Test
    void batchedSamplingEqualsOnePromptAtATime() {
        TableComponents.LM lm = new TableComponents.LM(100, 100);
        GenerationOptions o = GenerationOptions.builder().decoding(DecodingOptions.greedy())
                .stopCriterion(StopRules.paper().withMaxSentences(3)).sentenceSampling(SentenceSampling.bestOf(3, 2.0, 5L))
                .build();
        List<String> prompts = List.of("S1 S2", "S3", "S4 S4 S4", "S0");
        SonarLlmGenerator g = SonarLlmGenerator.builder().segmenter(new TableComponents.WordSegmenter()).encoder(enc)
                .conceptLm(lm).decoder(dec).eosEmbedding(TableComponents.EOS).batchOptions(BatchOptions.of(4, 1)).build();
        List<List<GeneratedSentence>> one = new ArrayList<>();
        for (String p : prompts) {
            one.add(g.generate(p, o).sentences());
        }
        List<GenerationResult> all = g.generateAll(prompts, o);
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(one.get(i), all.get(i).sentences(), "prompt " + i);
        }
    }

    @Test
    void rangesAreEnforced() {
        assertThrows(InvalidInputException.class, () -> SentenceSampling.of(-0.1, 1));
        assertThrows(InvalidInputException.class, () -> SentenceSampling.of(Double.NaN, 1));
        assertThrows(InvalidInputException.class, () -> SentenceSampling.of(1001, 1));
        assertThrows(InvalidInputException.class, () -> SentenceSampling.bestOf(0, 1, 1));
        assertThrows(InvalidInputException.class, () -> SentenceSampling.bestOf(65, 1, 1));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> SentenceSampling.bestOf(2, 0, 1));
        assertEquals("best-of-2 needs a sentence temperature above 0, found 0 (the candidates would all be the "
                + "prediction itself)", e.getMessage());
    }
}
