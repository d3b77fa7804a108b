package org.sonarllm.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A verified file is hashed once; any change (even one that keeps size and modification time) is hashed again. */
class VerifiedFilesTest {
    @TempDir
    Path tmp;
    private String previous;

    @BeforeEach
    void isolate() {
        previous = System.getProperty("sonarllm.hashCache");
        System.setProperty("sonarllm.hashCache", tmp.resolve("cache/verified.tsv").toString());
        VerifiedFiles.forgetInMemory();
    }

    @AfterEach
    void restore() {
        if (previous == null) {
            System.clearProperty("sonarllm.hashCache");
        } else {
            System.setProperty("sonarllm.hashCache", previous);
        }
        VerifiedFiles.forgetInMemory();
    }

    @Test
    void hashedOnceThenRememberedAcrossProcesses() throws Exception {
        Path f = Files.writeString(tmp.resolve("w.bin"), "weights", StandardCharsets.UTF_8);
        String wrong = "0".repeat(64);
        String real = Bundle.sha256(f);
        // printf weights | sha256sum
        assertEquals("9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c", real);
        long before = VerifiedFiles.HASHED.get();
        assertEquals(real, VerifiedFiles.sha256(f, real));
        assertEquals(real, VerifiedFiles.sha256(f, real));
        assertEquals(before + 1, VerifiedFiles.HASHED.get());
        // a new process (memory forgotten) reads the record instead of hashing
        VerifiedFiles.forgetInMemory();
        assertEquals(real, VerifiedFiles.sha256(f, real));
        assertEquals(before + 1, VerifiedFiles.HASHED.get());
        assertTrue(Files.readString(tmp.resolve("cache/verified.tsv")).contains(f.toRealPath().toString()));
        // a wrong expected hash is computed, returned and never remembered
        assertEquals(real, VerifiedFiles.sha256(f, wrong));
        assertEquals(real, VerifiedFiles.sha256(f, wrong));
        assertEquals(before + 3, VerifiedFiles.HASHED.get());
    }

    @Test
    void sameSizeRewriteWithRestoredModificationTimeIsHashedAgain() throws Exception {
        Path f = Files.writeString(tmp.resolve("w.bin"), "weights", StandardCharsets.UTF_8);
        String real = Bundle.sha256(f);
        FileTime mtime = Files.getLastModifiedTime(f);
        VerifiedFiles.sha256(f, real);
        Thread.sleep(20);
        Files.writeString(f, "WEIGHTS", StandardCharsets.UTF_8);
        Files.setLastModifiedTime(f, mtime);
        assertEquals(Files.size(f), 7);
        String now = VerifiedFiles.sha256(f, real);
        assertFalse(now.equals(real), "a tampered file must be hashed again and differ");
        assertEquals(Bundle.sha256(f), now);
    }

    @Test
    void offKeepsNothingOnDisk() throws Exception {
        System.setProperty("sonarllm.hashCache", "off");
        Path f = Files.writeString(tmp.resolve("w.bin"), "weights", StandardCharsets.UTF_8);
        String real = Bundle.sha256(f);
        long before = VerifiedFiles.HASHED.get();
        VerifiedFiles.sha256(f, real);
        VerifiedFiles.forgetInMemory();
        VerifiedFiles.sha256(f, real);
        assertEquals(before + 2, VerifiedFiles.HASHED.get());
        assertFalse(Files.exists(tmp.resolve("cache")));
    }
}
