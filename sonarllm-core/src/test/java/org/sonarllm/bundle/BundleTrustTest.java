package org.sonarllm.bundle;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.ModelFormatException;
import org.sonarllm.model.SonarConfig;

/** The bundle is a trust boundary: nothing outside it is read or revealed, malformed manifests are format errors. */
class BundleTrustTest {
    @TempDir
    Path tmp;

    /** A structurally valid bundle (the graphs are placeholder bytes: Bundle.open does not load them). */
    private Path bundle(String name) throws Exception {
        Path b = Files.createDirectories(tmp.resolve(name));
        Files.createDirectories(b.resolve("tokenizer"));
        Map<String, BundleManifest.Component> comps = new LinkedHashMap<>();
        for (String c : List.of(BundleManifest.ENCODER, BundleManifest.DECODER, BundleManifest.DECODER_CROSS)) {
            Path f = Files.writeString(b.resolve(c + ".onnx"), "graph " + c);
            comps.put(c, BundleWriter.component(b, List.of(f), Map.of()));
        }
        Path tok = Files.writeString(b.resolve("tokenizer/sentencepiece.bpe.model"), "spm");
        comps.put(BundleManifest.TOKENIZER, BundleWriter.component(b, List.of(tok), Map.of()));
        SonarConfig dims = SonarConfig.symmetric(300, 8, 2, 16, 1, 1, 32);
        List<String> codes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            codes.add("l" + i + "_Latn");
        }
        BundleWriter.writeManifest(b, new BundleManifest(BundleManifest.FORMAT, BundleManifest.FORMAT_VERSION, dims,
                new BundleManifest.SpecialIds(0, 1, 2, 3, 290), new BundleManifest.LanguageTable(280, codes),
                "End of sequence.", new float[8], comps));
        Bundle.open(b); // valid as built
        return b;
    }

    private static ModelFormatException fails(Path b) {
        return assertThrows(ModelFormatException.class, () -> Bundle.open(b));
    }

    @Test
    void aListedFileLinkingOutsideIsRefusedWithoutRevealingTheTarget() throws Exception {
        Path secret = Files.writeString(tmp.resolve("secret.bin"), "0123456789-secret-content");
        String secretSha = Bundle.sha256(secret);
        Path b = bundle("file-link");
        // replace a listed file by a link to an outside file of the same size and hash as listed
        BundleManifest m = Bundle.readManifest(b);
        Files.delete(b.resolve("decoder.onnx"));
        Files.createSymbolicLink(b.resolve("decoder.onnx"), secret);
        BundleWriter.writeManifest(b, m.withComponent(BundleManifest.DECODER, new BundleManifest.Component(
                List.of(new BundleManifest.FileEntry("decoder.onnx", Files.size(secret), secretSha)), Map.of())));
        ModelFormatException e = fails(b);
        assertTrue(e.getMessage().contains("'decoder.onnx' inside the bundle, found a link leaving it"), e.getMessage());
        assertFalse(e.getMessage().contains(secret.toString()), e.getMessage());
        // a size leak would read "expected N bytes, found M" (digits alone can occur in the temporary path)
        long size = Files.size(secret);
        assertFalse(e.getMessage().contains(size + " bytes") || e.getMessage().contains("found " + size), e.getMessage());
        assertFalse(e.getMessage().contains(secretSha), e.getMessage());
    }

    @Test
    void aLinkedFolderLeavingTheBundleIsRefused() throws Exception {
        Path b = bundle("dir-link");
        Path outside = Files.createDirectories(tmp.resolve("outside-tokenizer"));
        Files.move(b.resolve("tokenizer/sentencepiece.bpe.model"), outside.resolve("sentencepiece.bpe.model"));
        Files.delete(b.resolve("tokenizer"));
        Files.createSymbolicLink(b.resolve("tokenizer"), outside);
        assertTrue(fails(b).getMessage().contains("found a link leaving it"));
    }

    @Test
    void anUnlistedLinkLeavingTheBundleIsRefused() throws Exception {
        Path b = bundle("unlisted-link");
        Files.createSymbolicLink(b.resolve("extra"), Path.of("/etc"));
        assertTrue(fails(b).getMessage().contains("'extra' inside the bundle, found a link leaving it"));
    }

    @Test
    void aBundleOpenedThroughALinkToItsDirectoryIsCheckedAtItsTarget() throws Exception {
        Path b = bundle("target");
        Path link = Files.createSymbolicLink(tmp.resolve("through-link"), b);
        assertTrue(Bundle.open(link).manifest().components().containsKey(BundleManifest.ENCODER));
        Files.createSymbolicLink(b.resolve("extra"), Path.of("/etc"));
        assertTrue(fails(link).getMessage().contains("'extra' inside the bundle, found a link leaving it"));
    }

    @Test
    void linksThatStayInsideAreAccepted() throws Exception {
        Path b = bundle("inner-link");
        Files.createSymbolicLink(b.resolve("alias"), b.resolve("tokenizer"));
        Bundle.open(b);
    }

    @Test
    void malformedManifestPathsAreFormatErrors() throws Exception {
        for (String bad : List.of("enc\u0000oder.onnx", "../encoder.onnx", "/etc/passwd", "a//b", "./encoder.onnx",
                "C:\\\\x", "enc\noder")) {
            Path b = bundle("path" + Integer.toHexString(bad.hashCode()));
            String json = Files.readString(b.resolve(BundleManifest.MANIFEST_FILE));
            String escaped = bad.replace("\\", "\\\\").replace("\u0000", "\\u0000").replace("\n", "\\n");
            Files.writeString(b.resolve(BundleManifest.MANIFEST_FILE),
                    json.replace("\"path\" : \"encoder.onnx\"", "\"path\" : \"" + escaped + "\""));
            ModelFormatException e = fails(b);
            assertTrue(e.getMessage().contains("expected a relative path inside the bundle"), bad + ": " + e.getMessage());
            assertFalse(e.getMessage().contains("\u0000"), e.getMessage());
        }
    }

    @Test
    void duplicateManifestKeysAreRefused() throws Exception {
        Path b = bundle("dup");
        String json = Files.readString(b.resolve(BundleManifest.MANIFEST_FILE));
        Files.writeString(b.resolve(BundleManifest.MANIFEST_FILE),
                json.replaceFirst("\"formatVersion\"", "\"eosText\" : \"Other.\",\n  \"formatVersion\""),
                StandardCharsets.UTF_8);
        assertTrue(fails(b).getMessage().contains("Duplicate field 'eosText'"));
    }

    @Test
    void outOfRangeDimensionsAreFormatErrors() throws Exception {
        Path b = bundle("dims");
        String json = Files.readString(b.resolve(BundleManifest.MANIFEST_FILE));
        Files.writeString(b.resolve(BundleManifest.MANIFEST_FILE), json.replace("\"maxPositions\" : 32",
                "\"maxPositions\" : 2147483647"));
        assertTrue(fails(b).getMessage().contains("max positions"), fails(b).getMessage());
    }
}
