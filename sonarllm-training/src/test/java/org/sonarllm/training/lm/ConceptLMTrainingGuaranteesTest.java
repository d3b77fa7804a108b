package org.sonarllm.training.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sonarllm.InvalidInputException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.lang.Language;
import org.sonarllm.model.ConceptLMConfig;
import org.sonarllm.onnx.SonarLlm;
import org.sonarllm.onnx.convert.ConceptLmConverter;
import org.sonarllm.onnx.testing.ChildJvm;
import org.sonarllm.onnx.testing.TinyABundle;
import org.sonarllm.training.TrainingConfig;
import org.sonarllm.training.TrainingFixtures;
import org.sonarllm.training.data.CorpusPipeline;
import org.sonarllm.training.data.CorpusReader;
import org.sonarllm.training.data.Dataset;
import org.sonarllm.training.data.EncodedDatasets;
import org.sonarllm.training.model.Batch;
import org.sonarllm.training.model.ConceptLMWeights;
import org.sonarllm.training.model.Objective;

/**
 * Issue 15's guarantees of {@link ConceptLMTraining}: the export is atomic (a child JVM killed while
 * exporting leaves the previous complete bundle or nothing, never a partial or untrained one; the next run
 * removes the leftover and a resume exports); resuming a finished run changes nothing; a run trains from an
 * encoded dataset exactly as from its corpus; a shape too large for the memory is refused before anything is
 * allocated.
 */
class ConceptLMTrainingGuaranteesTest {
    @TempDir
    Path tmp;

    static Path corpus(Path dir) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve("corpus.txt"), "It was a fine day. The sisters walked to the village. They met "
                + "a friend.\n\nIs he handsome? Nobody answered her. The rain began.\n\nMr. Bennet smiled. He said nothing "
                + "at all.\n\nMrs. Bennet was vexed. She left the room. The door closed.\n");
    }

    static ConceptLMTraining.Builder builder(Path bundle, Path corpus, Path out, long seed) {
        return ConceptLMTraining.builder(bundle, corpus, out).objective(Objective.MSE).shape(TrainingFixtures.small(64))
                .validation(0.25)
                .training(TrainingConfig.defaults().withSteps(3).withBatchSize(2).withLearningRate(1e-3, 1e-4, 0)
                        .withSeed(seed).withCheckpointEvery(1));
    }

    private static List<Path> leftovers(Path parent, String name) throws IOException {
        try (Stream<Path> s = Files.list(parent)) {
            return s.filter(p -> p.getFileName().toString().startsWith("." + name + ".")).toList();
        }
    }

    private static Map<String, INDArray> weights(Path bundle) {
        Bundle.open(bundle); // complete and valid
        return ConceptLMWeights.fromBundle(bundle, DataType.FLOAT).parameters();
    }

    /** The child JVM of {@link #aKillDuringTheExportLeavesThePreviousBundleOrNothing}: blocks inside the export. */
    public static final class BlockingExport {
        public static void main(String[] args) throws Exception {
            builder(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), Long.parseLong(args[3]))
                    .force(Boolean.parseBoolean(args[4]))
                    .onExport(staging -> {
                        System.out.println("exporting " + staging);
                        System.out.flush();
                        try {
                            Thread.sleep(Long.MAX_VALUE);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }).run();
        }
    }

    private void killDuringExport(Path corpus, Path out, long seed, boolean force) throws Exception {
        Process p = ChildJvm.start(tmp, "1g", BlockingExport.class, TinyABundle.get().toString(), corpus.toString(),
                out.toString(), Long.toString(seed), Boolean.toString(force));
        Path err = ChildJvm.stderr(tmp, BlockingExport.class);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line = r.readLine();
            assertTrue(line != null && line.startsWith("exporting "), line + " " + Files.readString(err));
            Path staging = Path.of(line.substring("exporting ".length()));
            assertTrue(Files.exists(staging.resolve(ConceptLmConverter.WEIGHTS_FILE)), "the export got that far");
            p.destroyForcibly(); // SIGKILL: no cleanup
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aKillDuringTheExportLeavesThePreviousBundleOrNothing() throws Exception {
        Path corpus = corpus(tmp.resolve("corpus"));
        Path bundle = TinyABundle.get();
        // first export of a run killed: nothing under --out; a resume of the finished run exports it
        Path fresh = tmp.resolve("fresh");
        killDuringExport(corpus, fresh, 42, false);
        assertFalse(Files.exists(fresh), "no bundle under --out");
        assertEquals(1, leftovers(tmp, "fresh").size(), "the killed export's temporary folder remains");
        ConceptLMTraining.Result resumed = builder(bundle, corpus, fresh, 42).resume(true).run();
        assertEquals(List.of(), leftovers(tmp, "fresh"), "removed by the next run");
        Path reference = tmp.resolve("reference");
        ConceptLMTraining.Result ref = builder(bundle, corpus, reference, 42).run();
        assertEquals(ref.training().lastLoss(), resumed.training().lastLoss());
        assertEquals(weights(reference), weights(fresh), "the resume exported the trained weights");

        // a run replacing a complete bundle killed while exporting: the previous bundle is intact
        Map<String, INDArray> previous = weights(reference);
        killDuringExport(corpus, reference, 7, true);
        assertEquals(previous, weights(reference), "the previous complete bundle");
        ConceptLMTraining.Result other = builder(bundle, corpus, reference, 7).resume(true).run();
        assertEquals(3, other.training().steps());
        assertNotEquals(previous, weights(reference), "the resume exported the new run's weights");
        assertEquals(List.of(), leftovers(tmp, "reference"));
    }

    @Test
    void resumingAFinishedRunKeepsTheBundleAndReportsTheFinalMetrics() throws IOException {
        Path corpus = corpus(tmp.resolve("corpus"));
        Path out = tmp.resolve("out");
        ConceptLMTraining.Result done = builder(TinyABundle.get(), corpus, out, 42).run();
        Path work = done.work();
        List<String> metrics = Files.readAllLines(work.resolve("metrics.csv"));
        List<String> validation = Files.readAllLines(work.resolve("validation.csv"));
        Path weights = out.resolve(ConceptLmConverter.WEIGHTS_FILE);
        long modified = Files.getLastModifiedTime(weights).toMillis();
        for (int i = 0; i < 2; i++) {
            ConceptLMTraining.Result again = builder(TinyABundle.get(), corpus, out, 42).resume(true).run();
            assertEquals(done.training(), again.training(), "steps, losses (not NaN) and checkpoint");
            assertTrue(Double.isFinite(again.training().lastLoss()), "not NaN");
            assertEquals(metrics, Files.readAllLines(work.resolve("metrics.csv")));
            assertEquals(validation, Files.readAllLines(work.resolve("validation.csv")));
            assertEquals(modified, Files.getLastModifiedTime(weights).toMillis(), "the bundle is kept as it is");
            weights(out);
        }
        // a bundle at --out without --resume or --force is refused, and nothing is touched
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> builder(TinyABundle.get(), corpus, out, 42).workDir(tmp.resolve("other.work")).run());
        assertEquals("expected no bundle at " + out + ", found one: continue its run with --resume (resume(true)) or "
                + "replace it with --force (force(true))", e.getMessage());
        assertEquals(modified, Files.getLastModifiedTime(weights).toMillis());
    }

    @Test
    void trainingFromAnEncodedDatasetEqualsTrainingFromItsCorpus() throws IOException {
        Path corpus = corpus(tmp.resolve("corpus"));
        Path bundle = TinyABundle.get();
        // the dataset in encode-corpus's JSON-lines form, written from CorpusPipeline's documents
        Dataset encoded;
        try (SonarLlm llm = SonarLlm.load(bundle)) {
            encoded = CorpusPipeline.forBundle(llm, Language.ENGLISH, new CorpusPipeline.Options(32, 0, 42, 256),
                    tmp.resolve("cache")).load(CorpusReader.read(corpus), (d, t) -> { });
        }
        Path ds = writeDataset(tmp.resolve("dataset"), encoded.train(), bundle, 64);
        List<Double> fromCorpus = new ArrayList<>();
        List<Double> fromDataset = new ArrayList<>();
        ConceptLMTraining.Result a = builder(bundle, corpus, tmp.resolve("a"), 42).objective(Objective.CE).validation(0)
                .listener(TrainingFixtures.losses(fromCorpus)).run();
        ConceptLMTraining.Result b = builder(bundle, null, tmp.resolve("b"), 42).dataset(ds).objective(Objective.CE)
                .validation(0).listener(TrainingFixtures.losses(fromDataset)).run();
        assertEquals(3, fromCorpus.size());
        assertEquals(fromCorpus, fromDataset, "the same losses at every step");
        assertEquals(a.trainDocuments(), b.trainDocuments());
        assertEquals(weights(tmp.resolve("a")), weights(tmp.resolve("b")));

        Path wrongDim = writeDataset(tmp.resolve("wrong"), encoded.train(), bundle, 32);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> builder(bundle, null, tmp.resolve("c"), 42).dataset(wrongDim).validation(0).run());
        assertEquals(wrongDim.resolve(EncodedDatasets.METADATA) + ": expected a sentence dimension of 64 (the bundle's), "
                + "found 32", e.getMessage());
        e = assertThrows(InvalidInputException.class,
                () -> builder(bundle, corpus, tmp.resolve("c"), 42).dataset(ds).run());
        assertEquals("expected exactly one of a corpus and an encoded dataset, found both", e.getMessage());
        e = assertThrows(InvalidInputException.class,
                () -> builder(bundle, null, tmp.resolve("c"), 42).dataset(ds).maxSentences(16).validation(0).run());
        assertEquals(ds.resolve(EncodedDatasets.METADATA) + ": expected max sentences 16 (the training setting), found 32",
                e.getMessage());
    }

    /** Writes documents as a complete JSON-lines dataset of {@code encode-corpus} (metadata dimension {@code dim}). */
    private static Path writeDataset(Path dir, List<Batch.Document> docs, Path bundle, int dim) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper om = new ObjectMapper();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < docs.size(); i++) {
            Batch.Document d = docs.get(i);
            ObjectNode n = om.createObjectNode();
            n.put("id", "corpus.txt:" + i);
            ArrayNode s = n.putArray("sentences");
            ArrayNode e = n.putArray("embeddings");
            ArrayNode t = n.putArray("ids");
            for (int k = 0; k < d.embeddings().length; k++) {
                s.add("sentence " + k);
                ArrayNode row = e.addArray();
                for (float v : d.embeddings()[k]) {
                    row.add(v);
                }
                ArrayNode ids = t.addArray();
                for (int v : d.tokens()[k]) {
                    ids.add(v);
                }
            }
            sb.append(om.writeValueAsString(n)).append('\n');
        }
        Files.writeString(dir.resolve("part-00000-test-c000.json"), sb);
        BundleManifest m = Bundle.readManifest(bundle);
        ObjectNode meta = om.createObjectNode();
        meta.put("format", "sonarllm-encoded-corpus").put("version", 1).put("output", "jsonl")
                .put("bundleManifestSha256", Bundle.sha256(bundle.resolve(BundleManifest.MANIFEST_FILE)))
                .put("dimension", dim).put("language", "eng_Latn").put("maxSentences", 32)
                .put("decoderLimit", m.dimensions().maxPositions()).put("documents", docs.size());
        Files.writeString(dir.resolve("_SUCCESS"), "");
        Files.writeString(dir.resolve(EncodedDatasets.METADATA), om.writeValueAsString(meta));
        return dir;
    }

    @Test
    void aShapeTooLargeForTheMemoryIsRefusedBeforeAnythingIsAllocated() throws IOException {
        ConceptLMConfig huge = ConceptLMConfig.llama(64, 100000, 100, 8, 8, 64, 1536);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> TrainingMemory.check(huge, 8L << 30));
        long params = huge.parameterCount();
        assertEquals(String.format(java.util.Locale.ROOT, "expected a concept LM that fits in memory: shape "
                + "100000,100,8,8,64,1536 (hidden, layers, heads, kv heads, head dim, ffn) has %d parameters, which with "
                + "their AdamW moments and gradients need %.1f GiB, found 8.0 GiB available (raise -Xmx or "
                + "-Dorg.bytedeco.javacpp.maxbytes, or choose a smaller shape)", params, params * 16.0 / (1L << 30)),
                e.getMessage());
        TrainingMemory.check(TrainingFixtures.small(64), 1L << 20); // 16 x 2 layers: well under a MiB
        Path corpus = corpus(tmp.resolve("corpus"));
        InvalidInputException viaBuilder = assertThrows(InvalidInputException.class,
                () -> builder(TinyABundle.get(), corpus, tmp.resolve("huge"), 42).shape(huge).run());
        assertTrue(viaBuilder.getMessage().startsWith("expected a concept LM that fits in memory: shape 100000,100,"),
                viaBuilder.getMessage());
        assertFalse(Files.exists(tmp.resolve("huge.work/cache")), "refused before the corpus was encoded");
    }
}
