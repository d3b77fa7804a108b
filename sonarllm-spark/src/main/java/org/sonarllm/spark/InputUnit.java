package org.sonarllm.spark;

import java.io.Serializable;

/**
 * One task's share of the corpus: a byte range of a text or JSON-lines file, or one row group of a
 * Parquet file, with the number (1-based) of its first line or row in the file, so that document ids
 * ({@code file:line}) do not depend on how the file was split.
 *
 * @param index position in the plan (the output part number follows it)
 * @param path the file (a Hadoop path string)
 * @param name the file relative to the corpus root (its name when the corpus is one file), for ids
 * @param format how to read it
 * @param start first byte owned (text formats)
 * @param end end of the owned bytes, exclusive (text formats)
 * @param firstLine 1-based number of the first line or row owned
 * @param rowGroup Parquet row group index (-1 for text formats)
 */
record InputUnit(int index, String path, String name, Format format, long start, long end, long firstLine, int rowGroup)
        implements Serializable {
    /** Input formats, chosen by file name. */
    enum Format {
        /** {@code .txt}: documents separated by blank lines. */
        TEXT,
        /** {@code .jsonl} / {@code .json}: one {@code {"text": ...}} or {@code {"sentences": [...]}} per line. */
        JSONL,
        /** {@code .parquet}: a string column of texts, optionally an {@code id} column. */
        PARQUET
    }

    /** @param line 1-based first line @return a copy with that first line */
    InputUnit withFirstLine(long line) {
        return new InputUnit(index, path, name, format, start, end, line, rowGroup);
    }
}
