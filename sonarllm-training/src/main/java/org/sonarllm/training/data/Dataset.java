package org.sonarllm.training.data;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.sonarllm.training.model.Batch;

/**
 * Documents ready for training: sentence embeddings (end-of-sequence sentence appended) and decoder
 * tokens, split into training and validation parts.
 *
 * <pre>{@code
 * Dataset ds = CorpusPipeline.forBundle(llm, Language.ENGLISH, CorpusPipeline.Options.defaults(), cache)
 *         .load(CorpusReader.read(Path.of("corpus")), (done, total) -> {});
 * trainer.train(ds, TrainingListener.NONE);
 * }</pre>
 *
 * @param train training documents
 * @param validation validation documents (may be empty)
 */
public record Dataset(List<Batch.Document> train, List<Batch.Document> validation) {
    /** Copies the lists. */
    public Dataset {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
    }

    /**
     * A content hash of the documents as training sees them: every embedding value (bits) and decoder token
     * of the training documents, then of the validation ones, in order. Part of a training run's settings,
     * so that a resume on other data (one changed word changes its sentence's embedding) is refused.
     *
     * @return {@code sha256:<hex>}
     */
    public String contentHash() {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteBuffer b = ByteBuffer.allocate(1 << 16);
        for (List<Batch.Document> part : List.of(train, validation)) {
            put(md, b, -1);
            for (Batch.Document d : part) {
                put(md, b, d.embeddings().length);
                for (int i = 0; i < d.embeddings().length; i++) {
                    float[] e = d.embeddings()[i];
                    put(md, b, e.length);
                    for (float v : e) {
                        put(md, b, Float.floatToIntBits(v));
                    }
                    int[] t = d.tokens() == null ? new int[0] : d.tokens()[i];
                    put(md, b, t.length);
                    for (int v : t) {
                        put(md, b, v);
                    }
                }
            }
        }
        b.flip();
        md.update(b);
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    private static void put(MessageDigest md, ByteBuffer b, int v) {
        if (b.remaining() < 4) {
            b.flip();
            md.update(b);
            b.clear();
        }
        b.putInt(v);
    }
}
