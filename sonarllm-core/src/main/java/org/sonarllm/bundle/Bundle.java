package org.sonarllm.bundle;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.sonarllm.ModelFormatException;
import org.sonarllm.bundle.BundleManifest.Component;
import org.sonarllm.bundle.BundleManifest.FileEntry;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * A validated model bundle directory. {@link #open} checks the manifest (format and version,
 * dimensions, the eos embedding, the language table), that every listed file exists with the listed
 * size and sha256, and that the directory holds no unlisted files. A file whose hash was verified
 * before and that has not changed since (same path, size, modification and status-change time, inode)
 * is not hashed again (see {@code VerifiedFiles}). Failures are {@link
 * ModelFormatException}s reading "expected X, found Y". Immutable and thread-safe.
 *
 * <pre>{@code
 * Bundle b = Bundle.open(Path.of("sonar-bundle"));
 * Path encoderGraph = b.file(BundleManifest.ENCODER);
 * }</pre>
 */
public final class Bundle {
    /** Components every SONAR bundle has. */
    public static final List<String> REQUIRED = List.of(BundleManifest.ENCODER, BundleManifest.DECODER,
            BundleManifest.DECODER_CROSS, BundleManifest.TOKENIZER);

    private final Path dir;
    private final BundleManifest manifest;

    private Bundle(Path dir, BundleManifest manifest) {
        this.dir = dir;
        this.manifest = manifest;
    }

    /** @return a Jackson mapper configured for manifests (pretty output, lenient on unknown keys) */
    public static ObjectMapper mapper() {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        m.getFactory().enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        return m;
    }

    /**
     * Opens and fully validates a bundle, hashes included.
     *
     * @param dir the bundle directory
     * @return the bundle
     * @throws ModelFormatException if anything is missing or inconsistent
     */
    public static Bundle open(Path dir) {
        return open(dir, true);
    }

    /**
     * @param dir the bundle directory
     * @param verifyHashes whether to check each file's sha256 (sizes are always checked)
     * @return the bundle
     * @throws ModelFormatException if anything is missing or inconsistent
     */
    public static Bundle open(Path dir, boolean verifyHashes) {
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": expected a bundle directory, found "
                    + (Files.exists(dir) ? "a file" : "nothing"));
        }
        BundleManifest m = readManifest(dir);
        validate(dir, m, verifyHashes);
        return new Bundle(dir, m);
    }

    /**
     * Reads manifest.json without validating the files.
     *
     * @param dir bundle directory @return the manifest
     */
    public static BundleManifest readManifest(Path dir) {
        Path f = dir.resolve(BundleManifest.MANIFEST_FILE);
        try {
            BundleManifest m = mapper().readValue(Files.readAllBytes(f), BundleManifest.class);
            if (m == null) {
                throw new ModelFormatException(f + ": expected a JSON object, found nothing");
            }
            return m;
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(dir + ": expected " + BundleManifest.MANIFEST_FILE + ", found no such file");
        } catch (IOException e) {
            throw new ModelFormatException(f + ": invalid manifest: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    static void validate(Path dir, BundleManifest m, boolean verifyHashes) {
        String where = dir.resolve(BundleManifest.MANIFEST_FILE).toString();
        if (!BundleManifest.FORMAT.equals(m.format())) {
            throw new ModelFormatException(where + ": expected format '" + BundleManifest.FORMAT + "', found '"
                    + m.format() + "'");
        }
        if (!BundleManifest.READABLE_VERSIONS.contains(m.formatVersion())) {
            throw new ModelFormatException(where + ": expected format version " + BundleManifest.READABLE_VERSIONS
                    .stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(" or ")) + ", found "
                    + m.formatVersion());
        }
        SonarConfig d = m.dimensions();
        if (d == null) {
            throw new ModelFormatException(where + ": expected 'dimensions', found nothing");
        }
        if (m.specialIds() == null) {
            throw new ModelFormatException(where + ": expected 'specialIds', found nothing");
        }
        BundleManifest.LanguageTable lt = m.languages();
        if (lt == null || lt.codes().isEmpty()) {
            throw new ModelFormatException(where + ": expected a non-empty language table, found none");
        }
        if (new HashSet<>(lt.codes()).size() != lt.codes().size()) {
            throw new ModelFormatException(where + ": expected distinct language codes, found duplicates");
        }
        if (lt.firstId() < 0 || lt.firstId() + lt.codes().size() > d.vocab()) {
            throw new ModelFormatException(where + ": expected language ids within the vocabulary of " + d.vocab()
                    + ", found " + lt.firstId() + ".." + (lt.firstId() + lt.codes().size() - 1));
        }
        float[] eos = m.eosEmbedding();
        if (m.eosText() == null || eos == null) {
            throw new ModelFormatException(where + ": expected eosText and eosEmbedding, found none");
        }
        if (eos.length != d.model()) {
            throw new ModelFormatException(where + ": expected an eos embedding of dimension " + d.model()
                    + ", found " + eos.length);
        }
        for (float v : eos) {
            if (!Float.isFinite(v)) {
                throw new ModelFormatException(where + ": expected a finite eos embedding, found " + v);
            }
        }
        for (String r : REQUIRED) {
            Component c = m.components().get(r);
            if (c == null || c.files().isEmpty()) {
                throw new ModelFormatException(where + ": expected component '" + r + "', found none");
            }
        }
        Path real = realDir(dir);
        Map<String, FileEntry> listed = new HashMap<>();
        listed.put(BundleManifest.MANIFEST_FILE, null);
        for (Map.Entry<String, Component> e : m.components().entrySet()) {
            for (FileEntry f : e.getValue().files()) {
                if (listed.containsKey(f.path())) {
                    // a file shared by components (format 2: one weights file, several graphs) is checked once
                    if (!f.equals(listed.get(f.path()))) {
                        throw new ModelFormatException(where + ": expected one size and sha256 for " + f.path()
                                + ", found " + listed.get(f.path()) + " and " + f);
                    }
                    continue;
                }
                Path p = inside(dir, real, f.path(), where);
                if (!Files.isRegularFile(p)) {
                    throw new ModelFormatException(where + ": component '" + e.getKey() + "' expected file "
                            + f.path() + ", found no such file");
                }
                long size = size(p);
                if (size != f.bytes()) {
                    throw new ModelFormatException(p + ": expected " + f.bytes() + " bytes, found " + size);
                }
                if (verifyHashes) {
                    String h = VerifiedFiles.sha256(p, f.sha256());
                    if (!h.equalsIgnoreCase(f.sha256())) {
                        throw new ModelFormatException(p + ": expected sha256 " + f.sha256() + ", found " + h);
                    }
                }
                listed.put(f.path(), f);
            }
        }
        try (Stream<Path> s = Files.walk(real)) { // at its target when the bundle directory itself is a link
            for (Path p : (Iterable<Path>) s::iterator) {
                String rel = real.relativize(p).toString().replace('\\', '/');
                if (Files.isSymbolicLink(p)) {
                    inside(dir, real, rel, where);
                }
                if (Files.isRegularFile(p) && !listed.containsKey(rel)) {
                    throw new ModelFormatException(where + ": expected only listed files in the bundle, found "
                            + "unlisted file " + rel);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new ModelFormatException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    private static Path realDir(Path dir) {
        try {
            return dir.toRealPath();
        } catch (IOException e) {
            throw new ModelFormatException(dir + ": cannot resolve the bundle directory: " + e.getMessage(), e);
        }
    }

    /**
     * The listed file, after checking that the path is relative and plain and that it does not leave the
     * bundle through a symbolic link (its real path must lie under the bundle's real path). Nothing about a
     * file outside the bundle (size, hash, existence) is revealed in the message.
     */
    private static Path inside(Path dir, Path realDir, String rel, String where) {
        Path p = resolveSafe(dir, rel, where);
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return p;
        }
        Path target;
        try {
            target = p.toRealPath();
        } catch (IOException e) {
            throw new ModelFormatException(where + ": expected '" + rel + "' to resolve inside the bundle, found a "
                    + "link that does not", e);
        }
        if (!target.startsWith(realDir)) {
            throw new ModelFormatException(where + ": expected '" + rel + "' inside the bundle, found a link leaving it");
        }
        return p;
    }

    static Path resolveSafe(Path dir, String rel, String where) {
        if (rel == null || rel.isEmpty() || rel.startsWith("/") || rel.contains("\\") || rel.contains(":")
                || List.of(rel.split("/", -1)).stream().anyMatch(c -> c.isEmpty() || c.equals("..") || c.equals("."))
                || rel.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
            throw new ModelFormatException(where + ": expected a relative path inside the bundle (no empty, . or .. parts, no control characters), found '"
                    + printable(rel) + "'");
        }
        try {
            return dir.resolve(rel);
        } catch (InvalidPathException e) {
            throw new ModelFormatException(where + ": expected a valid path, found '" + printable(rel) + "'", e);
        }
    }

    private static String printable(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new ModelFormatException(p + ": cannot stat: " + e.getMessage(), e);
        }
    }

    /**
     * @param file a file
     * @return its lowercase hex sha256
     */
    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the bundle directory */
    public Path dir() {
        return dir;
    }

    /** @return the manifest */
    public BundleManifest manifest() {
        return manifest;
    }

    /** @param component a component name @return whether the bundle has it */
    public boolean has(String component) {
        return manifest.components().containsKey(component);
    }

    /**
     * @param component a component name
     * @return its main (first) file
     * @throws ModelFormatException if the bundle has no such component
     */
    public Path file(String component) {
        Component c = manifest.components().get(component);
        if (c == null || c.files().isEmpty()) {
            throw new ModelFormatException(dir + ": expected component '" + component + "', found none");
        }
        return dir.resolve(c.main());
    }

    /**
     * @param component a component name
     * @return the directory holding its main file (e.g. the tokenizer directory)
     */
    public Path componentDir(String component) {
        return file(component).getParent();
    }

    /**
     * Loads the bundle's tokenizer, checked against the manifest (the id of the first language, the
     * model vocabulary), truncating input to what the encoder's positions allow (with the tokenizer's
     * logged warning), so that a long generated sentence is re-encoded instead of rejected.
     *
     * <pre>{@code
     * try (SonarTokenizer t = bundle.openTokenizer()) { int[] ids = t.encoderIds("Hello.", Language.ENGLISH); }
     * }</pre>
     *
     * @return the tokenizer; the caller closes it
     * @throws ModelFormatException if the tokenizer files are broken or disagree with the manifest
     */
    public SonarTokenizer openTokenizer() {
        SonarConfig d = manifest.dimensions();
        SonarTokenizer t = SonarTokenizer.load(componentDir(BundleManifest.TOKENIZER),
                Math.min(SonarTokenizer.DEFAULT_MAX_LENGTH, d.maxPositions()));
        try {
            int firstId = t.pieceCount() + 1;
            if (manifest.languages().firstId() != firstId) {
                throw new ModelFormatException(dir + ": expected the first language id " + manifest.languages().firstId()
                        + " (manifest), found " + firstId + " (tokenizer)");
            }
            if (t.vocabSize() > d.vocab()) {
                throw new ModelFormatException(dir + ": expected a tokenizer of at most " + d.vocab()
                        + " ids (model vocabulary), found " + t.vocabSize());
            }
            return t;
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
    }
}
