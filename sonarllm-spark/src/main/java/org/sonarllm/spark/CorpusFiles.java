package org.sonarllm.spark;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.sonarllm.InvalidInputException;

/**
 * Plans the corpus into {@link InputUnit}s and opens them. A corpus is a file or a directory read
 * recursively in sorted path order (files and directories whose name starts with {@code _} or
 * {@code .} are skipped, as Hadoop input formats do): {@code .txt}, {@code .jsonl} / {@code .json}
 * and {@code .parquet} files; other files are ignored. A single file is read as JSON lines when named
 * {@code .jsonl} / {@code .json}, as Parquet when named {@code .parquet}, else as text. Text and JSON
 * lines files are cut into byte ranges of {@code splitSize}; Parquet files into row groups.
 */
final class CorpusFiles {
    /** An open unit: its documents in order. */
    interface Documents extends Iterator<RawDocument>, Closeable {}

    /** A {@link Documents} that reads one document ahead. */
    abstract static class Lookahead implements Documents {
        private RawDocument next;

        /** @return the next document, or null at the end @throws IOException on read errors */
        abstract RawDocument read() throws IOException;

        /** @return what the documents are read from, for messages */
        abstract String source();

        @Override
        public final boolean hasNext() {
            if (next == null) {
                try {
                    next = read();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException("cannot read " + source() + ": " + e.getMessage(), e);
                }
            }
            return next != null;
        }

        @Override
        public final RawDocument next() {
            if (!hasNext()) {
                throw new java.util.NoSuchElementException();
            }
            RawDocument d = next;
            next = null;
            return d;
        }
    }

    private CorpusFiles() {}

    /**
     * @param conf Hadoop configuration
     * @param corpus a file or directory (any Hadoop file system)
     * @param splitSize bytes per text unit
     * @param textColumn the text column Parquet files must have
     * @return the units in corpus order; line numbers of units after a file's first are not yet known
     *     ({@code firstLine} is 0 there; see {@link #needsLineCount} and {@link #numberLines})
     * @throws InvalidInputException if the corpus is missing or holds no supported file
     * @throws IOException on file system errors
     */
    static List<InputUnit> plan(Configuration conf, String corpus, long splitSize, String textColumn) throws IOException {
        if (splitSize <= 0) {
            throw new InvalidInputException("expected a positive split size, found " + splitSize);
        }
        Path root = new Path(corpus);
        FileSystem fs = root.getFileSystem(conf);
        FileStatus st;
        try {
            st = fs.getFileStatus(root);
        } catch (java.io.FileNotFoundException e) {
            throw new InvalidInputException("expected a corpus file or directory, found nothing at " + corpus);
        }
        record Entry(String name, FileStatus status, InputUnit.Format format) {}
        List<Entry> files = new ArrayList<>();
        if (st.isFile()) {
            files.add(new Entry(root.getName(), st, singleFileFormat(root.getName())));
        } else {
            String prefix = fs.makeQualified(root).toUri().getPath();
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
            while (it.hasNext()) {
                LocatedFileStatus f = it.next();
                String rel = f.getPath().toUri().getPath().substring(prefix.length()).replaceFirst("^/+", "");
                InputUnit.Format format = format(f.getPath().getName());
                if (format != null && !hidden(rel)) {
                    files.add(new Entry(rel, f, format));
                }
            }
            files.sort((a, b) -> a.name().compareTo(b.name()));
        }
        if (files.isEmpty()) {
            throw new InvalidInputException("expected .txt, .jsonl, .json or .parquet files in " + corpus + ", found none");
        }
        List<InputUnit> units = new ArrayList<>();
        for (Entry e : files) {
            String path = e.status().getPath().toString();
            long len = e.status().getLen();
            if (e.format() == InputUnit.Format.PARQUET) {
                long row = 1;
                try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromStatus(e.status(), conf))) {
                    ParquetDocuments.textField(r.getFooter().getFileMetaData().getSchema(), textColumn, e.name());
                    List<BlockMetaData> groups = r.getFooter().getBlocks();
                    for (int g = 0; g < groups.size(); g++) {
                        units.add(new InputUnit(units.size(), path, e.name(), e.format(), 0, len, row, g));
                        row += groups.get(g).getRowCount();
                    }
                } catch (InvalidInputException ex) {
                    throw ex;
                } catch (RuntimeException ex) {
                    throw new InvalidInputException(e.name() + ": expected a Parquet file, found " + ex.getMessage(), ex);
                }
                continue;
            }
            for (long start = 0; start < len; start += splitSize) {
                units.add(new InputUnit(units.size(), path, e.name(), e.format(), start, Math.min(len, start + splitSize),
                        start == 0 ? 1 : 0, -1));
            }
        }
        return units;
    }

    /**
     * @param units the plan
     * @param i a position in it
     * @return whether unit {@code i}'s line count is needed: the next unit continues the same text file
     */
    static boolean needsLineCount(List<InputUnit> units, int i) {
        return i + 1 < units.size() && units.get(i).format() != InputUnit.Format.PARQUET
                && units.get(i + 1).path().equals(units.get(i).path());
    }

    /**
     * Fills in first line numbers from per-unit line counts.
     *
     * @param units the plan
     * @param lines lines owned by each unit (same order; read only where {@link #needsLineCount} holds)
     * @return the plan with every {@code firstLine} set
     */
    static List<InputUnit> numberLines(List<InputUnit> units, long[] lines) {
        List<InputUnit> out = new ArrayList<>(units.size());
        long next = 1;
        for (int i = 0; i < units.size(); i++) {
            InputUnit u = units.get(i);
            if (u.format() == InputUnit.Format.PARQUET) {
                out.add(u);
                continue;
            }
            if (u.start() == 0) {
                next = 1;
            }
            out.add(u.withFirstLine(next));
            next += lines[i];
        }
        return out;
    }

    /**
     * @param unit a unit
     * @param textColumn Parquet text column
     * @param conf Hadoop configuration
     * @return its documents; close them
     * @throws IOException on read errors
     */
    static Documents open(InputUnit unit, String textColumn, Configuration conf) throws IOException {
        if (unit.format() == InputUnit.Format.PARQUET) {
            return new ParquetDocuments(unit, textColumn, conf);
        }
        Path p = new Path(unit.path());
        return new LineDocuments(unit, p.getFileSystem(conf).open(p));
    }

    /**
     * @param unit a text unit
     * @param conf Hadoop configuration
     * @return the number of lines starting in its range
     * @throws IOException on read errors
     */
    static long countLines(InputUnit unit, Configuration conf) throws IOException {
        Path p = new Path(unit.path());
        try (var in = p.getFileSystem(conf).open(p)) {
            return LineDocuments.countLines(unit, in);
        }
    }

    private static boolean hidden(String rel) {
        for (String part : rel.split("/")) {
            if (part.startsWith("_") || part.startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static InputUnit.Format format(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".txt")) {
            return InputUnit.Format.TEXT;
        }
        if (n.endsWith(".jsonl") || n.endsWith(".json")) {
            return InputUnit.Format.JSONL;
        }
        return n.endsWith(".parquet") ? InputUnit.Format.PARQUET : null;
    }

    private static InputUnit.Format singleFileFormat(String name) {
        InputUnit.Format f = format(name);
        return f == null ? InputUnit.Format.TEXT : f;
    }
}
