package org.sonarllm.cli;

/**
 * Analytic inference FLOPs of SONAR-LLM against a token-level LLM for a text of L tokens, the
 * comparison of the SONAR-LLM paper (Sec. "Inference efficiency"), with every term explicit. One
 * multiply-add counts as 2 FLOPs; both models use a key/value cache.
 *
 * <ul>
 *   <li>token LLM: per generated token t, {@code 2*(P + d*V) + 4*layers*d_attn*t};
 *   <li>SONAR-LLM, n = ceil(L/s) sentences of s tokens: concept LM per sentence k, {@code 2*Pc +
 *       4*layers_c*d_attn_c*k}; SONAR decoder per token t of a sentence, {@code 2*(Pdec_token + d*V) +
 *       4*layers_dec*d*t} plus the cross-attention keys/values once per sentence; SONAR encoder
 *       (re-encoding each generated sentence), {@code 2*Penc*s + 4*layers_enc*d*s^2}.
 * </ul>
 *
 * <pre>{@code
 * FlopsModel m = FlopsModel.paperShapes(1024, 1024, 4096, 24, 16, 64, 60);
 * double ratio = m.tokenLlm(8192) / m.sonarLlm(8192);
 * }</pre>
 *
 * @param llmLayers token LLM layers
 * @param llmHidden token LLM hidden size
 * @param llmAttn token LLM heads x head_dim
 * @param llmParams token LLM non-embedding parameters
 * @param llmVocab token LLM vocabulary (output projection)
 * @param clmLayers concept LM layers
 * @param clmAttn concept LM heads x head_dim
 * @param clmParams concept LM parameters (with the sonar projections)
 * @param sonarDim SONAR model size d
 * @param sonarLayers SONAR encoder and decoder layers (each)
 * @param sonarFfn SONAR FFN size
 * @param sonarVocab SONAR vocabulary
 * @param tokensPerSentence s
 */
public record FlopsModel(int llmLayers, int llmHidden, int llmAttn, double llmParams, int llmVocab, int clmLayers,
        int clmAttn, double clmParams, int sonarDim, int sonarLayers, int sonarFfn, int sonarVocab,
        int tokensPerSentence) {

    /** Llama non-embedding parameters: attention (q,o: hidden x attn; k,v: hidden x kvAttn) + SwiGLU + norms. */
    static double llamaParams(int layers, int hidden, int attn, int kvAttn, int ffn) {
        return (double) layers * (2.0 * hidden * attn + 2.0 * hidden * kvAttn + 3.0 * hidden * ffn + 2.0 * hidden)
                + hidden;
    }

    /**
     * Token LLM and concept LM of the same Llama shape (as in the paper's same-size comparison),
     * SONAR encoder/decoder of the released size (d 1024, 24 layers, FFN 8192, 256206 tokens).
     *
     * @param sonarDim concept vector size
     * @param hidden Llama hidden size
     * @param ffn Llama intermediate size
     * @param layers Llama layers
     * @param heads Llama heads
     * @param headDim Llama head size
     * @param tokensPerSentence average sentence length in tokens
     * @return the model
     */
    public static FlopsModel paperShapes(int sonarDim, int hidden, int ffn, int layers, int heads, int headDim,
            int tokensPerSentence) {
        int attn = heads * headDim;
        double p = llamaParams(layers, hidden, attn, attn, ffn);
        double clm = p + 2.0 * sonarDim * hidden + sonarDim + hidden;
        return new FlopsModel(layers, hidden, attn, p, 128256, layers, attn, clm, 1024, 24, 8192, 256206,
                tokensPerSentence);
    }

    /** @param tokens L @return FLOPs of the token-level LLM generating L tokens */
    public double tokenLlm(long tokens) {
        double perToken = 2 * (llmParams + (double) llmHidden * llmVocab);
        return perToken * tokens + 4.0 * llmLayers * llmAttn * tokens * (tokens + 1) / 2.0;
    }

    /** @param tokens L @return FLOPs of SONAR-LLM generating L tokens (concept LM + decoder + re-encoder) */
    public double sonarLlm(long tokens) {
        long s = tokensPerSentence;
        long n = (tokens + s - 1) / s;
        double clm = 2 * clmParams * n + 4.0 * clmLayers * clmAttn * n * (n + 1) / 2.0;
        double d = sonarDim;
        double decTokenParams = sonarLayers * (4 * d * d + 2 * d * d + 2 * d * sonarFfn) + d * sonarVocab;
        double dec = n * (2 * decTokenParams * s + 4.0 * sonarLayers * d * s * (s + 1) / 2.0
                + 2 * sonarLayers * 2 * d * d);
        double encParams = sonarLayers * (4 * d * d + 2 * d * sonarFfn);
        double enc = n * (2 * encParams * s + 4.0 * sonarLayers * d * s * s);
        return clm + dec + enc;
    }

    /** @return the smallest L (in steps of one sentence) from which SONAR-LLM needs fewer FLOPs, or -1 */
    public long crossover() {
        for (long l = tokensPerSentence; l <= (1L << 24); l += tokensPerSentence) {
            if (sonarLlm(l) < tokenLlm(l)) {
                return l;
            }
        }
        return -1;
    }
}
