package org.sonarllm.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sonarllm.InvalidInputException;

/**
 * The output directory of an encoding job: Spark's committer writes {@code part-*} files and, when
 * the job commits, {@code _SUCCESS}; the driver then adds {@value #METADATA} (options and counts).
 * A directory without both is the remains of a failed or killed run, which readers refuse and the
 * next run replaces.
 */
final class DatasetFiles {
    /** Name of the metadata file, written last. */
    static final String METADATA = "_sonarllm.json";
    /** Value of the metadata's {@code format} field. */
    static final String FORMAT = "sonarllm-encoded-corpus";
    /** Spark's commit marker. */
    static final String SUCCESS = "_SUCCESS";

    private static final Logger LOG = LoggerFactory.getLogger(DatasetFiles.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private DatasetFiles() {}

    /**
     * Makes sure {@code out} can be written: a missing directory is fine; an empty one or the
     * remains of a failed run (only {@code part-*}, {@code _temporary}, {@code .crc} and marker
     * files, no {@code _SUCCESS}) are removed; anything else is refused.
     *
     * @param conf Hadoop configuration
     * @param out the output directory
     * @throws InvalidInputException if {@code out} holds a complete dataset or other files
     * @throws IOException on file system errors
     */
    static void prepareOutput(Configuration conf, String out) throws IOException {
        Path p = new Path(out);
        FileSystem fs = p.getFileSystem(conf);
        if (!fs.exists(p)) {
            return;
        }
        if (!fs.getFileStatus(p).isDirectory()) {
            throw new InvalidInputException("expected a new output directory, found a file at " + out);
        }
        FileStatus[] children = fs.listStatus(p);
        for (FileStatus c : children) {
            String n = c.getPath().getName();
            if (n.equals(SUCCESS)) {
                throw new InvalidInputException("expected a new output directory, found a complete dataset at " + out
                        + " (delete it to encode again)");
            }
            boolean leftover = n.equals("_temporary") || n.startsWith("part-") || n.startsWith(".part-")
                    || n.endsWith(".crc") || n.equals(METADATA);
            if (!leftover) {
                throw new InvalidInputException("expected a new output directory or the remains of a failed run at " + out
                        + ", found " + n);
            }
        }
        if (children.length > 0) {
            LOG.warn("removing the remains of a failed run in {}", out);
        }
        fs.delete(p, true);
    }

    /**
     * Writes the metadata file (to a temporary name, then renamed).
     *
     * @param conf Hadoop configuration
     * @param out the committed output directory
     * @param metadata fields
     * @throws IOException on file system errors
     */
    static void writeMetadata(Configuration conf, String out, Map<String, Object> metadata) throws IOException {
        Path dir = new Path(out);
        FileSystem fs = dir.getFileSystem(conf);
        Path tmp = new Path(dir, "_" + METADATA + ".tmp");
        try (OutputStream o = fs.create(tmp, true)) {
            o.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(metadata));
        }
        if (!fs.rename(tmp, new Path(dir, METADATA))) {
            throw new IOException("cannot rename " + tmp + " to " + METADATA);
        }
    }

    /**
     * @param conf Hadoop configuration
     * @param dir a dataset directory
     * @return its metadata
     * @throws InvalidInputException if it is not a complete dataset
     * @throws IOException on file system errors
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> readMetadata(Configuration conf, String dir) throws IOException {
        Path p = new Path(dir);
        FileSystem fs = p.getFileSystem(conf);
        if (!fs.exists(new Path(p, SUCCESS)) || !fs.exists(new Path(p, METADATA))) {
            throw new InvalidInputException("expected a complete encoded dataset (" + SUCCESS + " and " + METADATA + ") at "
                    + dir + ", found " + (fs.exists(p) ? "an incomplete one (a failed or killed run?)" : "nothing"));
        }
        try (InputStream in = fs.open(new Path(p, METADATA))) {
            Map<String, Object> m = JSON.readValue(in, Map.class);
            if (!FORMAT.equals(m.get("format"))) {
                throw new InvalidInputException("expected format " + FORMAT + " in " + new Path(p, METADATA) + ", found "
                        + m.get("format"));
            }
            return m;
        }
    }
}
