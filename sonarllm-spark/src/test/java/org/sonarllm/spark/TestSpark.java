package org.sonarllm.spark;

import org.apache.spark.sql.SparkSession;

/**
 * One local[2] Spark session per test JVM, bound to the loopback interface, without UI (created again
 * if a test stopped it, as the CLI does when it ends).
 */
final class TestSpark {
    private static SparkSession session;

    private TestSpark() {}

    static synchronized SparkSession get() {
        if (session == null || session.sparkContext().isStopped()) {
            session = SparkSession.builder().appName("sonarllm-spark tests").master("local[2]")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "2")
                    .getOrCreate();
            session.sparkContext().setLogLevel("WARN");
        }
        return session;
    }
}
