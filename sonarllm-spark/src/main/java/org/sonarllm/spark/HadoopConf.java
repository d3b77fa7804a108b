package org.sonarllm.spark;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import org.apache.hadoop.conf.Configuration;

/**
 * A Hadoop {@link Configuration} that can travel to executors (it is {@code Writable}, not
 * {@code Serializable}), so tasks read the corpus with the driver's file system settings.
 * Immutable after construction; thread-safe for reading.
 *
 * <pre>{@code
 * Broadcast<HadoopConf> conf = jsc.broadcast(new HadoopConf(jsc.hadoopConfiguration()));
 * FileSystem fs = path.getFileSystem(conf.value().get());
 * }</pre>
 */
final class HadoopConf implements Serializable {
    private static final long serialVersionUID = 1L;
    private transient Configuration conf;

    /** @param conf copied */
    HadoopConf(Configuration conf) {
        this.conf = new Configuration(conf);
    }

    /** @return the configuration */
    Configuration get() {
        return conf;
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
        conf.write(out);
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        conf = new Configuration(false);
        conf.readFields(in);
    }
}
