package org.sonarllm.training.lm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.sonarllm.bundle.BundleWriter;

/**
 * {@code export.done} in the work directory: the step whose parameters the bundle at {@code out} holds,
 * written after the export's rename. A resumed finished run whose marker names its last step and the same
 * bundle (still present) exports nothing; otherwise (a kill during the export) it exports again. Stateless.
 */
final class ExportMarker {
    static final String FILE = "export.done";

    private final Path file;
    private final Path out;

    ExportMarker(Path workDir, Path out) {
        this.file = workDir.resolve(FILE);
        this.out = out.toAbsolutePath().normalize();
    }

    private String content(long step) {
        return step + "\n" + out + "\n";
    }

    /** @param step the run's last step @return whether {@code out} holds that step's export */
    boolean done(long step) {
        try {
            return Files.isDirectory(out) && Files.exists(file)
                    && Files.readString(file, StandardCharsets.UTF_8).equals(content(step));
        } catch (IOException e) {
            return false;
        }
    }

    /** @param step the exported step */
    void write(long step) {
        Path tmp = file.resolveSibling(FILE + ".tmp");
        try {
            Files.writeString(tmp, content(step), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw BundleWriter.writeFailure(tmp, e);
        }
    }
}
