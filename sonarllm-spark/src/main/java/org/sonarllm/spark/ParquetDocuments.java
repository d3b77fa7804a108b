package org.sonarllm.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.sonarllm.InvalidInputException;

/**
 * The documents of one row group of a Parquet file: the string column {@code textColumn} (a null
 * text is an empty document, which the encoder skips and counts) and, when the file has a top-level primitive {@code id} column, the id;
 * otherwise the id is {@code file:row} (1-based row number in the file).
 *
 * <p>Not thread-safe; close it.
 */
final class ParquetDocuments extends CorpusFiles.Lookahead {
    /** Name of the optional id column. */
    static final String ID = "id";

    private final InputUnit unit;
    private final ParquetFileReader reader;
    private final RecordReader<Group> records;
    private final long rows;
    private final boolean hasId;
    private long row;

    /**
     * @param unit a PARQUET unit
     * @param textColumn the text column
     * @param conf Hadoop configuration
     * @throws IOException on read errors
     * @throws InvalidInputException if the text column is missing or not a string
     */
    ParquetDocuments(InputUnit unit, String textColumn, Configuration conf) throws IOException {
        this.unit = unit;
        this.reader = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(unit.path()), conf));
        try {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            List<Type> fields = new ArrayList<>();
            fields.add(textField(schema, textColumn, unit.name()));
            hasId = schema.containsField(ID) && schema.getType(ID).isPrimitive() && !textColumn.equals(ID)
                    && schema.getType(ID).getRepetition() != Type.Repetition.REPEATED;
            if (hasId) {
                fields.add(schema.getType(ID));
            }
            MessageType projection = new MessageType(schema.getName(), fields);
            reader.setRequestedSchema(projection);
            for (int g = 0; g < unit.rowGroup(); g++) {
                if (!reader.skipNextRowGroup()) {
                    throw new InvalidInputException(unit.name() + ": expected row group " + unit.rowGroup()
                            + ", found only " + g + " (file changed while encoding?)");
                }
            }
            PageReadStore pages = reader.readNextRowGroup();
            if (pages == null) {
                throw new InvalidInputException(unit.name() + ": expected row group " + unit.rowGroup()
                        + ", found none (file changed while encoding?)");
            }
            rows = pages.getRowCount();
            records = new ColumnIOFactory().getColumnIO(projection, schema).getRecordReader(pages,
                    new GroupRecordConverter(projection));
        } catch (IOException | RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    static Type textField(MessageType schema, String column, String file) {
        if (!schema.containsField(column)) {
            throw new InvalidInputException(file + ": expected a text column '" + column + "', found columns "
                    + schema.getFields().stream().map(Type::getName).toList());
        }
        Type t = schema.getType(column);
        if (!t.isPrimitive() || t.asPrimitiveType().getPrimitiveTypeName() != PrimitiveType.PrimitiveTypeName.BINARY
                || t.getRepetition() == Type.Repetition.REPEATED
                || !(t.getLogicalTypeAnnotation() == null
                        || t.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation)) {
            throw new InvalidInputException(file + ": expected column '" + column + "' to hold strings, found " + t);
        }
        return t;
    }

    @Override
    RawDocument read() {
        if (row < rows) {
            Group g = records.read();
            row++;
            long fileRow = unit.firstLine() + row - 1;
            String text = g.getFieldRepetitionCount(0) == 0 ? "" : g.getString(0, 0);
            String id = hasId && g.getFieldRepetitionCount(1) > 0 ? g.getValueToString(1, 0) : unit.name() + ":" + fileRow;
            return new RawDocument(id, text, null);
        }
        return null;
    }

    @Override
    String source() {
        return unit.path();
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
