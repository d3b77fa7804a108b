package org.sonarllm.training.model;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sonarllm.InvalidInputException;

/**
 * A training batch: documents as sentence embeddings (the end-of-sequence sentence already
 * appended) plus, for the cross-entropy objective, each sentence's decoder tokens
 * {@code [lang] + pieces} (HF NLLB ids). Position k-1 of a document predicts sentence k; for CE the
 * decoder input is {@code [</s>, lang] + pieces + [</s>]} and the labels
 * {@code [lang] + pieces + [</s>, </s>]}, rows padded with the pad id, which is never a label
 * (SONAR-LLM's SonarLossWrapper).
 *
 * <pre>{@code
 * Batch b = new Batch(List.of(new Batch.Document(embeddings, tokens)), Batch.EOS);
 * }</pre>
 *
 * @param documents the documents (each with at least two sentences)
 * @param eosId the {@code </s>} id (2 for NLLB)
 */
public record Batch(List<Document> documents, int eosId) {
    /** The {@code </s>} id of the NLLB layout every bundle uses. */
    public static final int EOS = org.sonarllm.tokenize.SonarTokenizer.EOS;

    /**
     * One document.
     *
     * @param embeddings [sentences][d]
     * @param tokens [sentences][] decoder tokens {@code [lang] + pieces}, or null for MSE-only data
     * @param noiseSeed seed of the noise on this document's predictions when CE trains with
     *     {@link ConceptLMLoss.Anchors#noise()} ({@link Batch#predictionNoise}); the training task gives every
     *     document of a step its own, derived from the step, so that it does not depend on the workers' split
     */
    public record Document(float[][] embeddings, int[][] tokens, long noiseSeed) {
        /**
         * A document with noise seed 0.
         *
         * @param embeddings [sentences][d]
         * @param tokens [sentences][] decoder tokens, or null for MSE-only data
         */
        public Document(float[][] embeddings, int[][] tokens) {
            this(embeddings, tokens, 0);
        }

        /**
         * @param seed a noise seed
         * @return this document (the same arrays) with that noise seed
         */
        public Document withNoiseSeed(long seed) {
            return new Document(embeddings, tokens, seed);
        }

        /** Validates. */
        public Document {
            if (embeddings.length < 2) {
                throw new InvalidInputException("expected a document of at least 2 sentences (one plus end of sequence), found "
                        + embeddings.length);
            }
            if (tokens != null && tokens.length != embeddings.length) {
                throw new InvalidInputException("expected " + embeddings.length + " token rows, found " + tokens.length);
            }
        }
    }

    /** Validates. */
    public Batch {
        if (documents.isEmpty()) {
            throw new InvalidInputException("expected at least one document in a batch, found none");
        }
        documents = List.copyOf(documents);
    }

    /** @return longest document length */
    public int positions() {
        int t = 0;
        for (Document d : documents) {
            t = Math.max(t, d.embeddings().length);
        }
        return t;
    }

    /** @return number of predictions (sum of sentences - 1 per document) */
    public int predictions() {
        int n = 0;
        for (Document d : documents) {
            n += d.embeddings().length - 1;
        }
        return n;
    }

    /** @return number of CE label tokens (pieces + 3 per predicted sentence) */
    public long targetTokens() {
        long n = 0;
        for (Document d : documents) {
            for (int k = 1; k < d.embeddings().length; k++) {
                n += d.tokens() == null ? 0 : d.tokens()[k].length + 2;
            }
        }
        return n;
    }

    /** @return the zero-padded input [b, positions, d] (float) */
    public INDArray input() {
        int t = positions();
        int dim = documents.get(0).embeddings()[0].length;
        float[][][] x = new float[documents.size()][t][dim];
        for (int b = 0; b < documents.size(); b++) {
            float[][] e = documents.get(b).embeddings();
            for (int k = 0; k < e.length; k++) {
                if (e[k].length != dim) {
                    throw new InvalidInputException("expected embeddings of size " + dim + ", found " + e[k].length);
                }
                x[b][k] = e[k];
            }
        }
        return Nd4j.createFromArray(x);
    }

    /** @return decoder inputs [n][len], one row per prediction, padded with {@code pad} */
    long[][] decoderInputs(int pad) {
        List<long[]> rows = new ArrayList<>();
        int len = 0;
        for (Document d : documents) {
            if (d.tokens() == null) {
                throw new InvalidInputException("expected decoder tokens for the ce objective, found none");
            }
            for (int k = 1; k < d.embeddings().length; k++) {
                int[] tok = d.tokens()[k];
                long[] r = new long[tok.length + 2];
                r[0] = eosId;
                for (int i = 0; i < tok.length; i++) {
                    r[i + 1] = tok[i];
                }
                r[tok.length + 1] = eosId;
                rows.add(r);
                len = Math.max(len, r.length);
            }
        }
        long[][] out = new long[rows.size()][len];
        for (int i = 0; i < out.length; i++) {
            java.util.Arrays.fill(out[i], pad);
            System.arraycopy(rows.get(i), 0, out[i], 0, rows.get(i).length);
        }
        return out;
    }

    /** @return labels [n][len] ({@code [lang] + pieces + [eos, eos]}, padded with {@code pad}) */
    long[][] labels(int pad) {
        long[][] in = decoderInputs(pad);
        long[][] out = new long[in.length][in[0].length];
        for (int i = 0; i < in.length; i++) {
            java.util.Arrays.fill(out[i], pad);
            int n = 0;
            while (n < in[i].length && in[i][n] != pad) {
                n++;
            }
            System.arraycopy(in[i], 1, out[i], 0, n - 1);
            out[i][n - 1] = eosId;
        }
        return out;
    }

    /**
     * The supervised positions by index: prediction n (documents in order, sentences {@code k >= 1}) is row
     * {@code b * positions() + k - 1} of the concept LM's output flattened to {@code [b * positions, d]}.
     *
     * @return one flat row index per prediction
     */
    public int[] predictionRows() {
        int t = positions();
        int[] rows = new int[predictions()];
        int n = 0;
        for (int b = 0; b < documents.size(); b++) {
            for (int k = 1; k < documents.get(b).embeddings().length; k++) {
                rows[n++] = b * t + k - 1;
            }
        }
        return rows;
    }

    /** @return the next-sentence embedding of every prediction, [predictions][d] in {@link #predictionRows()} order */
    float[][] nextEmbeddingRows() {
        float[][] rows = new float[predictions()][];
        int n = 0;
        for (Document doc : documents) {
            for (int k = 1; k < doc.embeddings().length; k++) {
                rows[n++] = doc.embeddings()[k];
            }
        }
        return rows;
    }

    /**
     * Noise for the predictions, [predictions][d] in {@link #predictionRows()} order: the row predicting
     * sentence k of a document is {@code scale x rms(y) x e}, y that sentence's embedding, rms(y) =
     * |y| / sqrt(d) and e standard normals, the document's rows drawn in order from its
     * {@link Document#noiseSeed()} (the same rows whatever else is in the batch). The same relative scale as the
     * space's vector noise.
     *
     * @param scale noise relative to the true next vector's RMS
     * @return the noise rows
     */
    float[][] predictionNoise(double scale) {
        float[][] out = new float[predictions()][];
        int n = 0;
        for (Document doc : documents) {
            float[][] e = doc.embeddings();
            SplittableRandom rnd = new SplittableRandom(doc.noiseSeed()); // rows k = 1.. in order
            for (int k = 1; k < e.length; k++) {
                double sq = 0;
                for (float v : e[k]) {
                    sq += (double) v * v;
                }
                double std = scale * Math.sqrt(sq / e[k].length);
                float[] row = new float[e[k].length];
                for (int j = 0; j < row.length; j++) {
                    row[j] = (float) (rnd.nextGaussian() * std);
                }
                out[n++] = row;
            }
        }
        return out;
    }

    /** @return next-sentence targets [b, positions, d] (zero where nothing is predicted) */
    INDArray nextEmbeddings() {
        int t = positions();
        int dim = documents.get(0).embeddings()[0].length;
        float[][][] target = new float[documents.size()][t][dim];
        for (int b = 0; b < documents.size(); b++) {
            float[][] e = documents.get(b).embeddings();
            for (int k = 1; k < e.length; k++) {
                target[b][k - 1] = e[k];
            }
        }
        return Nd4j.createFromArray(target);
    }

    /** @return 1 where a position predicts a real sentence, else 0, [b, positions] */
    INDArray predictionMask() {
        float[][] mask = new float[documents.size()][positions()];
        for (int b = 0; b < documents.size(); b++) {
            for (int k = 1; k < documents.get(b).embeddings().length; k++) {
                mask[b][k - 1] = 1;
            }
        }
        return Nd4j.createFromArray(mask);
    }
}
