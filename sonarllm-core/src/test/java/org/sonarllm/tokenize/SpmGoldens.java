package org.sonarllm.tokenize;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The golden files written by {@code scripts/spm-goldens.sh} with Google's reference tools ({@code
 * spm_encode}, {@code spm_decode}, {@code spm_normalize}), read from the test class path.
 *
 * <pre>{@code
 * for (SpmGoldens.Model m : SpmGoldens.models()) { SentencePiece sp = m.load(); ... }
 * }</pre>
 */
final class SpmGoldens {
    static final String DIR = "/org/sonarllm/tokenize/spm/";

    private SpmGoldens() {}

    /** One model of MANIFEST.tsv. */
    record Model(String name, String resource, String sha256) {
        byte[] bytes() {
            return SpmGoldens.resource(resource);
        }

        SentencePiece load() {
            byte[] b = bytes();
            String got = SpmGoldens.sha256(b);
            if (!got.equals(sha256)) {
                throw new AssertionError("model " + resource + " changed since its goldens were made (expected sha256 "
                        + sha256 + ", found " + got + "): rerun scripts/spm-goldens.sh");
            }
            return SentencePiece.load(b, Path.of(resource));
        }

        /** @return the lines of golden file NAME.suffix, or null if there is none */
        List<String> golden(String suffix) {
            return lines(DIR + name + "." + suffix);
        }
    }

    static List<Model> models() {
        List<Model> out = new ArrayList<>();
        for (String line : lines(DIR + "MANIFEST.tsv")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            out.add(new Model(f[0], f[1], f[2]));
        }
        return out;
    }

    /** @return the inputs of the goldens, one per line */
    static List<String> texts() {
        return lines(DIR + "texts.txt");
    }

    /** @return the ids of a golden line ("" is no id) */
    static int[] ids(String line) {
        return line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
    }

    static byte[] resource(String name) {
        try (InputStream in = SpmGoldens.class.getResourceAsStream(name)) {
            if (in == null) {
                return null;
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the lines of a UTF-8 resource split at LF only (CR, NUL and other controls stay in the line) */
    static List<String> lines(String name) {
        byte[] b = resource(name);
        if (b == null) {
            return null;
        }
        String s = new String(b, StandardCharsets.UTF_8);
        if (s.endsWith("\n")) {
            s = s.substring(0, s.length() - 1);
        }
        return Arrays.asList(s.split("\n", -1));
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
