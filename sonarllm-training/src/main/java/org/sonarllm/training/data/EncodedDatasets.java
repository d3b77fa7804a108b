package org.sonarllm.training.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.sonarllm.InvalidInputException;
import org.sonarllm.training.model.Batch;

/**
 * Reads the JSON-lines output of {@code sonarllm encode-corpus --format jsonl} (or of
 * {@code sonarllm dataset-to-jsonl}) into training documents, with no Spark or Hadoop: the
 * {@code part-*} files of a directory that has Spark's {@code _SUCCESS} marker and the job's
 * {@code _sonarllm.json}, in part-file order; each line {@code {"id", "sentences", "embeddings", "ids"}}
 * becomes a {@link Batch.Document} (the end-of-sequence sentence is already its last sentence).
 * Documents are split into training and validation exactly as {@link CorpusPipeline} splits them
 * (a seeded hash of the document's sentences without the end-of-sequence one), so a corpus encoded
 * either way gives the same split.
 *
 * <p>Needs only sonarllm-training and Jackson (no Spark); {@code sonarllm train --dataset DIR} and
 * {@code ConceptLMTraining.Builder.dataset} train from it.
 *
 * <pre>{@code
 * EncodedDatasets.Loaded d = EncodedDatasets.read(Path.of("encoded"), 0.05, 42);
 * trainer.train(d.dataset(), listener);
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class EncodedDatasets {
    /** Metadata file written by the job after the commit. */
    public static final String METADATA = "_sonarllm.json";

    /**
     * A read dataset.
     *
     * @param dataset the documents, split
     * @param metadata the job's {@code _sonarllm.json} (bundle hash, dimension, language, limits, counts)
     * @param ids the document ids in the order of {@link #documents}
     * @param documents every document in file order
     */
    public record Loaded(Dataset dataset, JsonNode metadata, List<String> ids, List<Batch.Document> documents) {}

    private EncodedDatasets() {}

    /**
     * @param dir a complete JSON-lines dataset
     * @param validationFraction share held out (0..1)
     * @param seed split seed
     * @return the dataset
     * @throws InvalidInputException if the directory is not a complete JSON-lines dataset or a line is malformed
     */
    public static Loaded read(Path dir, double validationFraction, long seed) {
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new InvalidInputException("expected 0 <= validation < 1, found " + validationFraction);
        }
        ObjectMapper om = new ObjectMapper();
        JsonNode meta = metadata(om, dir);
        int dim = meta.path("dimension").asInt(-1);
        List<Batch.Document> docs = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        List<Batch.Document> train = new ArrayList<>();
        List<Batch.Document> val = new ArrayList<>();
        for (Path f : parts(dir)) {
            try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                String line;
                int no = 0;
                while ((line = r.readLine()) != null) {
                    no++;
                    if (line.isBlank()) {
                        continue;
                    }
                    String where = f.getFileName() + ":" + no;
                    JsonNode n = parse(om, line, where);
                    String[] sentences = strings(n.path("sentences"), where);
                    float[][] e = floats(n.path("embeddings"), dim, where);
                    int[][] t = ints(n.path("ids"), where);
                    if (sentences.length != e.length || t.length != e.length) {
                        throw new InvalidInputException(where + ": expected as many sentences, embeddings and id rows, found "
                                + sentences.length + ", " + e.length + ", " + t.length);
                    }
                    Batch.Document d = new Batch.Document(e, t);
                    docs.add(d);
                    ids.add(n.path("id").asText());
                    boolean held = validation(Arrays.asList(sentences).subList(0, sentences.length - 1), validationFraction, seed);
                    (held ? val : train).add(d);
                }
            } catch (IOException e) {
                throw new InvalidInputException("cannot read " + f + ": " + e.getMessage(), e);
            }
        }
        if (docs.isEmpty()) {
            throw new InvalidInputException("expected at least one document in " + dir + ", found none");
        }
        if (train.isEmpty()) {
            train.addAll(val);
            val.clear();
        }
        return new Loaded(new Dataset(train, val), meta, List.copyOf(ids), List.copyOf(docs));
    }

    /**
     * @param dir a complete JSON-lines dataset
     * @return its {@code _sonarllm.json}, checked for format and output, without reading the documents
     * @throws InvalidInputException if the directory is not a complete JSON-lines dataset
     */
    public static JsonNode metadata(Path dir) {
        return metadata(new ObjectMapper(), dir);
    }

    private static JsonNode metadata(ObjectMapper om, Path dir) {
        if (!Files.isRegularFile(dir.resolve("_SUCCESS")) || !Files.isRegularFile(dir.resolve(METADATA))) {
            throw new InvalidInputException("expected a complete encoded dataset (_SUCCESS and " + METADATA + ") at " + dir
                    + ", found " + (Files.isDirectory(dir) ? "an incomplete one (a failed or killed run?)" : "nothing"));
        }
        JsonNode meta;
        try {
            meta = om.readTree(dir.resolve(METADATA).toFile());
        } catch (IOException e) {
            throw new InvalidInputException("cannot read " + dir.resolve(METADATA) + ": " + e.getMessage(), e);
        }
        if (!"sonarllm-encoded-corpus".equals(meta.path("format").asText())) {
            throw new InvalidInputException("expected format sonarllm-encoded-corpus in " + dir.resolve(METADATA) + ", found "
                    + meta.path("format"));
        }
        if (!"jsonl".equals(meta.path("output").asText())) {
            throw new InvalidInputException("expected a JSON-lines dataset at " + dir + ", found " + meta.path("output").asText()
                    + " (convert it with: sonarllm dataset-to-jsonl --in " + dir + " --out DIR)");
        }
        return meta;
    }

    private static List<Path> parts(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("part-") && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new InvalidInputException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The rule of {@code CorpusPipeline}: a seeded hash of the sentences decides. */
    static boolean validation(List<String> sentences, double fraction, long seed) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(
                    (seed + "\u0000" + String.join("\u0001", sentences)).getBytes(StandardCharsets.UTF_8));
            long v = ((h[0] & 0xffL) << 16) | ((h[1] & 0xffL) << 8) | (h[2] & 0xffL);
            return v < fraction * (1 << 24);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parse(ObjectMapper om, String line, String where) {
        try {
            JsonNode n = om.readTree(line);
            if (n == null || !n.isObject()) {
                throw new InvalidInputException(where + ": expected a JSON object, found " + (n == null ? "nothing" : n.getNodeType()));
            }
            return n;
        } catch (IOException e) {
            throw new InvalidInputException(where + ": expected a JSON object, found malformed JSON", e);
        }
    }

    private static String[] strings(JsonNode a, String where) {
        if (!a.isArray() || a.size() < 2) {
            throw new InvalidInputException(where + ": expected \"sentences\" with at least 2 entries, found " + a);
        }
        String[] out = new String[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asText();
        }
        return out;
    }

    private static float[][] floats(JsonNode a, int dim, String where) {
        if (!a.isArray()) {
            throw new InvalidInputException(where + ": expected \"embeddings\" as an array, found " + a.getNodeType());
        }
        float[][] out = new float[a.size()][];
        for (int i = 0; i < out.length; i++) {
            JsonNode row = a.get(i);
            if (!row.isArray() || row.size() != dim) {
                throw new InvalidInputException(where + ": expected embeddings of dimension " + dim + ", found " + row.size());
            }
            out[i] = new float[dim];
            for (int j = 0; j < dim; j++) {
                float v = row.get(j).floatValue();
                if (!row.get(j).isNumber() || !Float.isFinite(v)) {
                    throw new InvalidInputException(where + ": expected finite numbers in embedding " + i + ", found " + row.get(j));
                }
                out[i][j] = v;
            }
        }
        return out;
    }

    private static int[][] ints(JsonNode a, String where) {
        if (!a.isArray()) {
            throw new InvalidInputException(where + ": expected \"ids\" as an array, found " + a.getNodeType());
        }
        int[][] out = new int[a.size()][];
        for (int i = 0; i < out.length; i++) {
            JsonNode row = a.get(i);
            if (!row.isArray() || row.isEmpty()) {
                throw new InvalidInputException(where + ": expected a non-empty id row " + i + ", found " + row);
            }
            out[i] = new int[row.size()];
            for (int j = 0; j < out[i].length; j++) {
                if (!row.get(j).canConvertToInt()) {
                    throw new InvalidInputException(where + ": expected integer ids in row " + i + ", found " + row.get(j));
                }
                out[i][j] = row.get(j).intValue();
            }
        }
        return out;
    }
}
