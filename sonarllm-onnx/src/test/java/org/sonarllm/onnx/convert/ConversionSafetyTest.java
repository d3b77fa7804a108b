package org.sonarllm.onnx.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
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
import org.sonarllm.ModelFormatException;
import org.sonarllm.SonarLlmException;
import org.sonarllm.bundle.Bundle;
import org.sonarllm.bundle.BundleManifest;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.onnx.runtime.OnnxConceptEncoder;
import org.sonarllm.onnx.testing.ChildJvm;
import org.sonarllm.testing.TinyA;

/**
 * A conversion writes nothing until every input is checked, builds the bundle in a temporary folder beside
 * {@code --out} and renames it at the end: a failed or killed run leaves nothing under {@code out}, the next
 * run removes what dead runs left, and a full disk says "no space left on device" with the path.
 */
class ConversionSafetyTest {
    @TempDir
    Path tmp;

    /** Everything in {@code dir} whose name starts with {@code .<name>.partial-}. */
    static List<Path> staging(Path dir, String name) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("." + name + ".partial-")).toList();
        }
    }

    static Bundle tinyA(Path out, Map<String, SonarConverter.ComponentWriter> extras) {
        Path a = TinyA.dir();
        return SonarConverter.convert(a.resolve("encoder"), a.resolve("decoder"), a.resolve("tokenizer"), out, extras,
                OnnxConceptEncoder::open);
    }

    @Test
    void inputsAreCheckedBeforeAnythingIsWritten() throws IOException {
        Path a = TinyA.dir();
        Path out = tmp.resolve("out");
        // a tokenizer whose ids do not fit the model's vocabulary
        Path austen = Files.createDirectories(tmp.resolve("hf-austen"));
        for (String f : List.of("sentencepiece.bpe.model", "tokenizer_config.json", "special_tokens_map.json")) {
            try (InputStream in = getClass().getResourceAsStream("/org/sonarllm/tokenize/hf-austen/" + f)) {
                Files.copy(in, austen.resolve(f));
            }
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SonarConverter.convert(
                a.resolve("encoder"), a.resolve("decoder"), austen, out, Map.of(), OnnxConceptEncoder::open));
        assertTrue(e.getMessage().matches(".*: expected at most 1206 token ids \\(the model's vocab_size\\), found 4204 "
                + "\\(4000 pieces, 202 languages, <mask>\\)"), e.getMessage());
        // a concept LM over vectors of another size than the SONAR model's
        Path rand = tmp.resolve("rand");
        RandomSonarCheckpoint.write(rand, new SonarConfig(48, 1300, 1, 1, 3, 3, 80, 80, 64), 2L);
        e = assertThrows(ModelFormatException.class, () -> SonarConverter.convert(rand.resolve("encoder"),
                rand.resolve("decoder"), a.resolve("tokenizer"), out,
                Map.of(BundleManifest.CONCEPT_LM, ConceptLmConverter.componentWriter(a.resolve("sonar_llm"), 0)),
                OnnxConceptEncoder::open));
        assertEquals(a.resolve("sonar_llm") + ": expected a concept LM over sentence vectors of 48 (the SONAR model's "
                + "d_model), found sonar_dim 64", e.getMessage());
        // a decoder tensor of the wrong shape
        Path dec = Files.createDirectories(tmp.resolve("dec"));
        Files.copy(a.resolve("decoder/model.safetensors"), dec.resolve("model.safetensors"));
        Files.writeString(dec.resolve("config.json"), Files.readString(a.resolve("decoder/config.json"))
                .replace("\"decoder_ffn_dim\": 256", "\"decoder_ffn_dim\": 255"));
        e = assertThrows(ModelFormatException.class, () -> SonarConverter.convert(a.resolve("encoder"), dec,
                a.resolve("tokenizer"), out, Map.of(), OnnxConceptEncoder::open));
        assertTrue(e.getMessage().endsWith("tensor 'model.decoder.layers.0.fc1.weight': expected shape [255, 64], found [256, 64]"),
                e.getMessage());
        assertFalse(Files.exists(out));
        assertEquals(List.of(), staging(tmp, "out"));
    }

    @Test
    void aConceptLmFolderWithTwoCheckpointsIsRefused() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("two"));
        Path authors = ConversionFormsTest.torch("authors");
        Files.copy(authors.resolve("SonarLLM_tiny.json"), d.resolve("SonarLLM_tiny.json"));
        Files.copy(authors.resolve("checkpoint.pt"), d.resolve("checkpoint_step_1.pt"));
        Files.copy(authors.resolve("checkpoint.pt"), d.resolve("checkpoint_step_2.pt"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ConceptLmConverter.componentWriter(d, 0));
        assertEquals(d + ": expected the concept LM weights as *.safetensors or one *.pt / *.bin checkpoint, found "
                + "[checkpoint_step_1.pt, checkpoint_step_2.pt] (keep one checkpoint in the folder)", e.getMessage());
    }

    /** The child JVM of {@link #aKilledConversionLeavesNothingAndTheNextRunCleansUp}: blocks while writing the decoder. */
    public static final class Blocking {
        public static void main(String[] args) throws Exception {
            Path a = TinyA.dir();
            SonarConverter.convert(a.resolve("encoder"), a.resolve("decoder"), a.resolve("tokenizer"), Path.of(args[0]),
                    Map.of(), OnnxConceptEncoder::open, (step, done, total) -> {
                        if (step.equals(SonarConverter.DECODER_WEIGHTS)) {
                            System.out.println("writing " + step);
                            System.out.flush();
                            try {
                                Thread.sleep(Long.MAX_VALUE);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    });
        }
    }

    @Test
    void aKilledConversionLeavesNothingAndTheNextRunCleansUp() throws Exception {
        Path out = tmp.resolve("killed");
        Process p = ChildJvm.start(tmp, "512m", Blocking.class, out.toString());
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line = r.readLine();
            assertEquals("writing " + SonarConverter.DECODER_WEIGHTS, line, Files.readString(ChildJvm.stderr(tmp, Blocking.class)));
            List<Path> left = staging(tmp, "killed");
            assertEquals(1, left.size(), left.toString());
            assertTrue(Files.exists(left.get(0).resolve(SonarConverter.ENCODER_WEIGHTS)), "the child got that far");
            p.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
        assertFalse(Files.exists(out), "a killed run leaves nothing under --out");
        assertEquals(1, staging(tmp, "killed").size(), "the killed run's temporary folder remains");

        Bundle b = tinyA(out, Map.of()); // the re-run needs no manual cleanup
        Bundle.open(b.dir());
        assertEquals(List.of(), staging(tmp, "killed"), "the dead run's folder is removed");
    }

    @Test
    void aLiveRunsFolderIsLeftAlone() throws Exception {
        Path out = tmp.resolve("live");
        ProcessHandle parent = ProcessHandle.current().parent().orElseThrow();
        long start = parent.info().startInstant().orElseThrow().toEpochMilli();
        Path live = Files.createDirectories(tmp.resolve(".live.partial-" + parent.pid() + "-" + start));
        Path dead = Files.createDirectories(tmp.resolve(".live.partial-" + parent.pid() + "-" + (start - 1000)));
        Files.writeString(dead.resolve("encoder.safetensors"), "half");
        tinyA(out, Map.of());
        assertTrue(Files.isDirectory(live), "another live process's folder");
        assertFalse(Files.exists(dead), "a folder whose process id was reused by a later process");
    }

    @Test
    void aFullDiskSaysSoWithThePathAndLeavesNothing() throws Exception {
        // a 2.5 MB tmpfs (needs root): the converter's own check refuses what cannot fit before writing
        Path mnt = ChildJvm.mountTmpfs(tmp.resolve("small"), "2560k");
        try {
            Path a = TinyA.dir();
            Path out = mnt.resolve("bundle");
            // the check before writing: with the concept LM it needs about 2.9 MB
            SonarLlmException e = assertThrows(SonarLlmException.class, () -> tinyA(out,
                    Map.of(BundleManifest.CONCEPT_LM, ConceptLmConverter.componentWriter(a.resolve("sonar_llm"), 0))));
            assertTrue(e.getMessage().startsWith(mnt + ": no space left on device for the bundle: about "), e.getMessage());
            // the disk filling up while writing (another program takes the space after the check)
            Path filler = mnt.resolve("filler");
            e = assertThrows(SonarLlmException.class, () -> SonarConverter.convert(a.resolve("encoder"),
                    a.resolve("decoder"), a.resolve("tokenizer"), out, Map.of(), OnnxConceptEncoder::open,
                    (step, done, total) -> fill(filler)));
            assertTrue(e.getMessage().matches(".*/\\.bundle\\.partial-[0-9-]+/encoder\\.safetensors: no space left on device"),
                    e.getMessage());
            Files.delete(filler);
            try (Stream<Path> s = Files.list(mnt)) {
                assertEquals(List.of(), s.toList(), "nothing left behind");
            }
        } finally {
            ChildJvm.unmount(mnt);
        }
    }

    private static void fill(Path filler) {
        if (Files.exists(filler)) {
            return;
        }
        try (var out = Files.newOutputStream(filler)) {
            byte[] b = new byte[64 << 10];
            while (true) {
                out.write(b);
            }
        } catch (IOException full) {
            // the disk is full now
        }
    }
}
