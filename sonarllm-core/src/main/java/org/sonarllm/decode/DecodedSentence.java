package org.sonarllm.decode;

import java.util.Arrays;

/**
 * The text decoded from one vector.
 *
 * <pre>{@code
 * DecodedSentence d = decoder.decode(v, Language.ENGLISH, DecodingOptions.greedy());
 * d.text(); d.ids(); d.score();
 * }</pre>
 *
 * @param text the detokenized text
 * @param ids the generated token ids, prompt excluded, final {@code </s>} included when produced
 * @param score the search's score: for beam search the length-normalised log-probability as
 *     fairseq2 ranks hypotheses; for greedy and sampling the mean log-probability per scored token
 *     computed the same way
 */
public record DecodedSentence(String text, int[] ids, double score) {
    /** Copies the ids so the record stays immutable. */
    public DecodedSentence {
        ids = ids.clone();
    }

    @Override
    public int[] ids() {
        return ids.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DecodedSentence d && d.text.equals(text) && Arrays.equals(d.ids, ids)
                && Double.compare(d.score, score) == 0;
    }

    @Override
    public int hashCode() {
        return text.hashCode() * 31 + Arrays.hashCode(ids);
    }

    @Override
    public String toString() {
        return "DecodedSentence[text=" + text + ", ids=" + Arrays.toString(ids) + ", score=" + score + "]";
    }
}
